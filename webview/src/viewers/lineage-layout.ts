/** Lineage graph layout (dagre, left to right: data flows from inputs to the artifact asked about). */
import dagre from '@dagrejs/dagre';
import type { LineageGraph, LineageNode } from '../../../protocol/viewer-payload.ts';

export interface PlacedNode extends LineageNode {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  path: string;
  label: string;
  labelX: number;
  labelY: number;
}

export function layoutLineage(graph: LineageGraph): { nodes: PlacedNode[]; edges: PlacedEdge[]; width: number; height: number } {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 20, ranksep: 40, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    const width = Math.max(140, Math.min(260, 20 + 6.2 * Math.max(n.label.length, n.detail.length)));
    g.setNode(n.key, { width, height: 48 });
  }
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const nodes = graph.nodes.map((n) => {
    const p = g.node(n.key);
    return { ...n, x: p.x, y: p.y, width: p.width, height: p.height };
  });
  const edges = graph.edges.map((e) => {
    const points: { x: number; y: number }[] = g.edge(e.from, e.to)?.points ?? [];
    const mid = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    return { path: points.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' '), label: e.label, labelX: mid.x + 4, labelY: mid.y - 4 };
  });
  const info = g.graph();
  return { nodes, edges, width: Math.ceil(info.width ?? 400), height: Math.ceil(info.height ?? 200) };
}
