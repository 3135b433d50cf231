import dagre from '@dagrejs/dagre';
import type { CanvasNode, Position } from '../../../protocol/messages.ts';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 96;

/** Padding of "fit view", as React Flow reads it (a fraction of the pane on each side). */
export const FIT_PADDING = 0.05;
/** Below this zoom nodes draw compact (icon, large title, state); at or above it, full ports. */
export const COMPACT_ZOOM = 0.8;
/** Node title font sizes in flow units (CSS px at zoom 1): full and compact nodes. */
export const TITLE_FONT = { full: 13, compact: 22 } as const;
/** Edge labels (the artifact type) show from this zoom on, else only on hover or selection. */
export const EDGE_LABEL_ZOOM = 1.1;

export type Size = { width: number; height: number };
export type Direction = 'LR' | 'TB';

/** CSS px of a node title at `zoom`, full or compact as the canvas would draw it. */
export function titlePixels(zoom: number): number {
  return zoom * (zoom < COMPACT_ZOOM ? TITLE_FONT.compact : TITLE_FONT.full);
}

/** The height a full node draws at (header, one row per port, run badge), for layout before measuring. */
export function estimatedHeight(ports: number): number {
  return 44 + 16 * Math.max(1, ports) + 30;
}

export interface LayoutOptions {
  /** Each node's size (measured by React Flow where known); default NODE_WIDTH × NODE_HEIGHT. */
  sizes?: Readonly<Record<string, Size>>;
  /** The pane the layout is meant for: picks the direction whose fit zoom is larger. */
  viewport?: Size;
  direction?: Direction;
}

/**
 * Layered layout of the DAG (dagre), left to right or top to bottom, whichever the pane shows at
 * the larger zoom (a long chain in a narrow pane reads better downwards), in whole units on a
 * 20-unit grid so the `layout` section of the file stays short and diffs stay small. Ranks are
 * spaced for the edges between them. Deterministic for a given file: nodes and edges in file order.
 */
export function autoLayout(nodes: readonly CanvasNode[], options: LayoutOptions = {}): Record<string, Position> {
  if (options.direction) return layered(nodes, options.direction, options.sizes).positions;
  const lr = layered(nodes, 'LR', options.sizes);
  if (!options.viewport) return lr.positions;
  const tb = layered(nodes, 'TB', options.sizes);
  return fitZoom(tb.bounds, options.viewport) > fitZoom(lr.bounds, options.viewport) ? tb.positions : lr.positions;
}

function layered(nodes: readonly CanvasNode[], direction: Direction, sizes: LayoutOptions['sizes'] = {}) {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph(direction === 'LR' ? { rankdir: 'LR', nodesep: 40, ranksep: 80, marginx: 0, marginy: 0 } : { rankdir: 'TB', nodesep: 60, ranksep: 60, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  const size = (id: string): Size => sizes[id] ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
  for (const node of nodes) graph.setNode(node.id, { ...size(node.id) });
  for (const node of nodes) {
    for (const ref of Object.values(node.inputs)) if (ids.has(ref.node) && ref.node !== node.id) graph.setEdge(ref.node, node.id);
  }
  dagre.layout(graph);
  const positions: Record<string, Position> = {};
  let right = 0;
  let bottom = 0;
  for (const node of nodes) {
    const { x, y } = graph.node(node.id);
    const { width, height } = size(node.id);
    // dagre gives centres; React Flow and the file use top-left corners.
    positions[node.id] = { x: snap(x - width / 2), y: snap(y - height / 2) };
    right = Math.max(right, positions[node.id].x + width);
    bottom = Math.max(bottom, positions[node.id].y + height);
  }
  const left = Math.min(0, ...Object.values(positions).map((p) => p.x));
  const top = Math.min(0, ...Object.values(positions).map((p) => p.y));
  return { positions, bounds: { width: right - left, height: bottom - top } };
}

/** The zoom React Flow's fitView picks for content of `bounds` in `viewport` (getViewportForBounds). */
export function fitZoom(bounds: Size, viewport: Size, padding = FIT_PADDING, maxZoom = 1.5): number {
  const zoom = Math.min((viewport.width * (1 - 2 * padding)) / bounds.width, (viewport.height * (1 - 2 * padding)) / bounds.height);
  return Math.min(zoom, maxZoom);
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
