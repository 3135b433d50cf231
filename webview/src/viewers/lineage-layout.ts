/** Lineage graph layout (dagre; data and code first, consumers last; across or downwards) and path finding. */
import dagre from '@dagrejs/dagre';
import type { LineageGraph, LineageNode } from '../../../protocol/viewer-payload.ts';

export interface PlacedNode extends LineageNode {
  /** Top-left corner, as React Flow places nodes. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export const LINEAGE_NODE_HEIGHT = 52;

/** Room for the longer of label and detail at the node's font sizes (13 and 11 px), within bounds. */
function widthOf(n: LineageNode): number {
  return Math.round(Math.max(170, Math.min(320, 64 + Math.max(8.2 * n.label.length, 6.4 * n.detail.length))));
}

export type LineageDirection = 'LR' | 'TB';

/** Left to right or top to bottom: whichever shows the graph larger in a pane of `pane`'s shape. */
export function layoutLineageFor(graph: LineageGraph, pane: { width: number; height: number }): { direction: LineageDirection; nodes: PlacedNode[]; zoom: number } {
  const options = (['LR', 'TB'] as const).map((direction) => {
    const nodes = layoutLineage(graph, direction);
    const width = Math.max(1, ...nodes.map((n) => n.x + n.width));
    const height = Math.max(1, ...nodes.map((n) => n.y + n.height));
    return { direction, nodes, zoom: Math.min(pane.width / width, pane.height / height) };
  });
  return options[1].zoom > options[0].zoom ? options[1] : options[0];
}

export function layoutLineage(graph: LineageGraph, direction: LineageDirection = 'LR'): PlacedNode[] {
  const g = new dagre.graphlib.Graph();
  // Ranks far enough apart for the edge's port name at the arrow end.
  g.setGraph(direction === 'LR' ? { rankdir: 'LR', nodesep: 24, ranksep: 70, marginx: 0, marginy: 0 } : { rankdir: 'TB', nodesep: 30, ranksep: 50, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.key, { width: widthOf(n), height: LINEAGE_NODE_HEIGHT });
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  return graph.nodes.map((n) => {
    const { x, y, width, height } = g.node(n.key);
    return { ...n, x: Math.round(x - width / 2), y: Math.round(y - height / 2), width, height };
  });
}

export const edgeId = (e: { from: string; to: string }) => `${e.from}>${e.to}`;

/**
 * The lineage through `key`: everything it came from (up to the data and code) and everything made
 * from it (down to the last consumer), with the edges between them. In a DAG an edge between two
 * ancestors always lies on a path to `key`, and likewise between two descendants.
 */
export function lineagePath(graph: LineageGraph, key: string): { nodes: Set<string>; edges: Set<string> } {
  const walk = (next: Map<string, string[]>) => {
    const reached = new Set([key]);
    const stack = [key];
    while (stack.length) {
      for (const k of next.get(stack.pop()!) ?? []) {
        if (reached.has(k)) continue;
        reached.add(k);
        stack.push(k);
      }
    }
    return reached;
  };
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const e of graph.edges) {
    parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
    children.set(e.from, [...(children.get(e.from) ?? []), e.to]);
  }
  const up = walk(parents);
  const down = walk(children);
  const edges = new Set(graph.edges.filter((e) => (up.has(e.from) && up.has(e.to)) || (down.has(e.from) && down.has(e.to))).map(edgeId));
  return { nodes: new Set([...up, ...down]), edges };
}
