import dagre from '@dagrejs/dagre';
import type { CanvasNode, Position } from '../../../protocol/messages.ts';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 96;

/**
 * Left-to-right layered layout of the DAG (dagre), in whole units on a 20-unit grid so the
 * `layout` section of the file stays short and diffs stay small. Deterministic for a given file:
 * nodes and edges are added in file order.
 */
export function autoLayout(nodes: readonly CanvasNode[], size = { width: NODE_WIDTH, height: NODE_HEIGHT }): Record<string, Position> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const node of nodes) graph.setNode(node.id, { width: size.width, height: size.height });
  for (const node of nodes) {
    for (const ref of Object.values(node.inputs)) if (ids.has(ref.node) && ref.node !== node.id) graph.setEdge(ref.node, node.id);
  }
  dagre.layout(graph);
  const positions: Record<string, Position> = {};
  for (const node of nodes) {
    const { x, y } = graph.node(node.id);
    // dagre gives centres; React Flow and the file use top-left corners.
    positions[node.id] = { x: snap(x - size.width / 2), y: snap(y - size.height / 2) };
  }
  return positions;
}

function snap(v: number): number {
  return Math.round(v / 20) * 20 + 0; // + 0 turns -0 into 0
}

/** Positions for nodes the file has not placed, so new nodes typed in the text appear sensibly. */
export function fillMissingPositions(nodes: readonly CanvasNode[]): Record<string, Position> {
  if (nodes.every((n) => n.position)) return {};
  const laid = autoLayout(nodes);
  const placed = nodes.filter((n) => n.position);
  // Shift the generated layout below the placed nodes so nothing overlaps.
  const offsetY = placed.length ? Math.max(...placed.map((n) => n.position!.y)) + NODE_HEIGHT + 60 : 0;
  return Object.fromEntries(nodes.filter((n) => !n.position).map((n) => [n.id, { x: laid[n.id].x, y: laid[n.id].y + offsetY }]));
}
