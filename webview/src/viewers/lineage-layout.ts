/**
 * Lineage graph layout (dagre; data and code first, consumers last; across or downwards), the
 * semantic zoom its nodes draw with, and path finding.
 */
import dagre from '@dagrejs/dagre';
import type { LineageGraph, LineageNode } from '../../../protocol/viewer-payload.ts';
import { fitZoom, READABLE_TITLE } from '../canvas/layout.ts';

export interface PlacedNode extends LineageNode {
  /** Top-left corner, as React Flow places nodes. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Title font sizes in flow units (CSS px at zoom 1). Full nodes: the label (13) over its detail
 * (11). Compact nodes, drawn zoomed out: the short label alone, large, as the canvas's compact
 * nodes draw their title: at a fit zoom of 0.5 it still reads at 11 CSS px.
 */
export const LINEAGE_FONT = { full: 13, compact: 22 } as const;
/** Below this zoom nodes draw compact; from it on, a full title reads at ≥ READABLE_TITLE (0.85 × 13 px). */
export const LINEAGE_COMPACT_ZOOM = Math.ceil((READABLE_TITLE / LINEAGE_FONT.full) * 100) / 100;
/** "Fit view" padding, as React Flow reads it (a fraction of the pane on each side). */
export const LINEAGE_FIT_PADDING = 0.05;
/** The viewer's maxZoom: a fit never zooms further in. */
export const LINEAGE_MAX_ZOOM = 2;
/** Full: two lines (16 and 14 px line boxes, 1 px apart) in 2 px padding and ≤ 2 px borders; compact: one 26 px line box. */
export const LINEAGE_NODE_HEIGHT = 40;

/** CSS px of a node title at `zoom`, compact or full as the viewer draws it there. */
export function lineageTitlePixels(zoom: number): number {
  return zoom * (zoom < LINEAGE_COMPACT_ZOOM ? LINEAGE_FONT.compact : LINEAGE_FONT.full);
}

/**
 * Room for the node drawn either way, within bounds: the longer of label and detail at 13 and 11 px
 * (about 0.63 and 0.58 em a character), or the short label at 22 px in bold (up to 0.7 em a
 * character, measured in Chromium: ids and file names run wide); plus the icon, the open button,
 * padding and borders (68 px measured).
 */
function widthOf(n: LineageNode): number {
  const full = 64 + Math.max(8.2 * n.label.length, 6.4 * n.detail.length);
  const compact = 72 + 15.5 * n.short.length;
  return Math.round(Math.max(170, Math.min(480, Math.max(full, compact))));
}

export type LineageDirection = 'LR' | 'TB';

/** The zoom React Flow's "fit view" lands at for these nodes in `pane`. */
export function lineageFitZoom(nodes: readonly PlacedNode[], pane: { width: number; height: number }): number {
  const width = Math.max(1, ...nodes.map((n) => n.x + n.width)) - Math.min(0, ...nodes.map((n) => n.x));
  const height = Math.max(1, ...nodes.map((n) => n.y + n.height)) - Math.min(0, ...nodes.map((n) => n.y));
  return fitZoom({ width, height }, pane, LINEAGE_FIT_PADDING, LINEAGE_MAX_ZOOM);
}

/** Left to right or top to bottom: whichever shows the graph larger in a pane of `pane`'s shape. */
export function layoutLineageFor(graph: LineageGraph, pane: { width: number; height: number }): { direction: LineageDirection; nodes: PlacedNode[]; zoom: number } {
  const options = (['LR', 'TB'] as const).map((direction) => {
    const nodes = layoutLineage(graph, direction);
    return { direction, nodes, zoom: lineageFitZoom(nodes, pane) };
  });
  return options[1].zoom > options[0].zoom ? options[1] : options[0];
}

export function layoutLineage(graph: LineageGraph, direction: LineageDirection = 'LR'): PlacedNode[] {
  const g = new dagre.graphlib.Graph();
  // Ranks far enough apart for the edge's port name (shown zoomed in only): beside the edge going
  // across, one line high going down, so a long chain still fits a pane's height.
  g.setGraph(direction === 'LR' ? { rankdir: 'LR', nodesep: 24, ranksep: 70, marginx: 0, marginy: 0 } : { rankdir: 'TB', nodesep: 30, ranksep: 30, marginx: 0, marginy: 0 });
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
