import dagre from '@dagrejs/dagre';
import type { CanvasNode, Position } from '../../../protocol/messages.ts';
import { tangles, type Direction, type DrawnEdge } from './crossings.ts';
import { foldedPorts, type NodePorts } from './port-order.ts';
import { untangle } from './untangle.ts';

export type { NodePorts } from './port-order.ts';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 96;

/** Padding of "fit view", as React Flow reads it (a fraction of the pane on each side). */
export const FIT_PADDING = 0.05;
/** Node title font sizes in flow units (CSS px at zoom 1): full and compact nodes. */
export const TITLE_FONT = { full: 13, compact: 22 } as const;
/** The smallest node title that reads, in CSS px (font size × zoom). */
export const READABLE_TITLE = 11;
/**
 * Below this zoom nodes draw compact (icon, large title, state); at or above it, full ports. Where a
 * full title would be under READABLE_TITLE (0.85 × 13 px = 11.05): no zoom between 0.5 and 0.85
 * then draws an unreadable title (at 0.8, a fit landing at 0.82 drew full titles of 10.7 px).
 */
export const COMPACT_ZOOM = Math.ceil((READABLE_TITLE / TITLE_FONT.full) * 100) / 100;
/** Edge labels (the artifact type) show from this zoom on, else only on hover or selection. */
export const EDGE_LABEL_ZOOM = 1.1;

export type Size = { width: number; height: number };

/** CSS px of a node title at `zoom`, full or compact as the canvas would draw it. */
export function titlePixels(zoom: number): number {
  return zoom * (zoom < COMPACT_ZOOM ? TITLE_FONT.compact : TITLE_FONT.full);
}

export interface LayoutOptions {
  /** Each node's size (measured by React Flow where known); default NODE_WIDTH × NODE_HEIGHT. */
  sizes?: Readonly<Record<string, Size>>;
  /** The pane the layout is meant for: a direction whose titles would be too small there loses. */
  viewport?: Size;
  direction?: Direction;
  /** Each node's ports in the spec's order (compact nodes reorder them, port-order.ts); default: the file's order. */
  ports?: Readonly<Record<string, NodePorts>>;
  /**
   * Try dagre's variants (rankers, alignments, input order, layer spacing), keep the drawing with
   * the fewest crossings and untangle it further node by node (untangle.ts), for the "Auto layout"
   * button; off for placing a few new nodes on every edit.
   */
  untangle?: boolean;
}

/** Above this many nodes the variants are not tried: dagre's default is used. */
export const UNTANGLE_MAX_NODES = 24;
/**
 * How many of dagre's least tangled drawings the search starts from (it only moves downhill, so
 * where it starts decides where it ends): 4 took taxi-tuned from 5 to 4 crossings without edges
 * behind nodes, and the narrow taxi from 2 to 1, for about twice the time of 2.
 */
const UNTANGLE_STARTS = 4;

interface Laid {
  positions: Record<string, Position>;
  bounds: Size;
  crossings: number;
  throughNodes: number;
}

/**
 * Layered layout of the DAG (dagre), in whole units on a 20-unit grid so the `layout` section of
 * the file stays short and diffs stay small. Left to right, unless the pane is so narrow that
 * titles would be unreadable at "fit view" and top to bottom reads better; the nodes' handles
 * follow the drawing (flowDirection: outputs on the right and inputs on the left, or outputs at
 * the bottom and inputs on top). With `untangle`, the drawing with the fewest edge crossings and
 * edges behind nodes (as React Flow draws them, crossings.ts, compact handles folded as
 * port-order.ts orders them) among dagre's variants, then untangled node by node (untangle.ts):
 * dagre minimizes the crossings of its own routed polylines, but React Flow draws one bezier from
 * handle to handle. Deterministic for a given file: nodes and edges in file order.
 */
export function autoLayout(nodes: readonly CanvasNode[], options: LayoutOptions = {}): Record<string, Position> {
  const readable = (l: Laid) => (options.viewport ? titlePixels(fitZoom(l.bounds, options.viewport)) >= READABLE_TITLE : true);
  const zoom = (l: Laid) => (options.viewport ? fitZoom(l.bounds, options.viewport) : 0);
  // Top to bottom only where left to right would be too small to read.
  const directions: Direction[] = options.direction ? [options.direction] : ['LR', 'TB'];
  const laid: Laid[] = [];
  for (const direction of directions) {
    laid.push(best(nodes, direction, options));
    if (readable(laid[laid.length - 1])) break;
  }
  laid.sort((a, b) => Number(readable(b)) - Number(readable(a)) || byTangle(a, b) || zoom(b) - zoom(a));
  return laid[0].positions;
}

/** The edges as drawn: each wired input, from its output handle to its input handle. */
export function drawnEdges(nodes: readonly CanvasNode[], ports: LayoutOptions['ports'] = {}): DrawnEdge[] {
  const ids = new Set(nodes.map((n) => n.id));
  const outputsOf = new Map<string, string[]>();
  for (const node of nodes) {
    for (const ref of Object.values(node.inputs)) {
      const list = outputsOf.get(ref.node) ?? [];
      if (!list.includes(ref.output)) list.push(ref.output);
      outputsOf.set(ref.node, list);
    }
  }
  const edges: DrawnEdge[] = [];
  for (const node of nodes) {
    const inputs = ports[node.id]?.inputs ?? Object.keys(node.inputs);
    for (const [input, ref] of Object.entries(node.inputs)) {
      if (!ids.has(ref.node) || ref.node === node.id) continue;
      const outputs = ports[ref.node]?.outputs ?? outputsOf.get(ref.node) ?? [];
      edges.push({ source: ref.node, out: [Math.max(0, outputs.indexOf(ref.output)), Math.max(1, outputs.length)], target: node.id, in: [Math.max(0, inputs.indexOf(input)), Math.max(1, inputs.length)] });
    }
  }
  return edges;
}

/**
 * Which way a drawing flows, read from where its nodes stand, so the handles point along the edges
 * whoever placed the nodes (auto layout in a narrow pane, a hand or another editor): top to bottom
 * when more edges run down to a node at least half a node lower than run right to a node past the
 * source's right side. A left-to-right layered drawing has every edge running right, so it never
 * reads as top to bottom; ties and drawings without edges read left to right.
 */
export function flowDirection(nodes: readonly CanvasNode[], positions: Readonly<Record<string, Position>>): Direction {
  let right = 0;
  let down = 0;
  for (const node of nodes) {
    const t = positions[node.id];
    for (const ref of Object.values(node.inputs)) {
      const s = positions[ref.node];
      if (!s || !t || ref.node === node.id) continue;
      if (t.x >= s.x + NODE_WIDTH) right++;
      if (t.y >= s.y + NODE_HEIGHT / 2) down++;
    }
  }
  return down > right ? 'TB' : 'LR';
}

function best(nodes: readonly CanvasNode[], direction: Direction, options: LayoutOptions): Laid {
  const size = (id: string): Size => options.sizes?.[id] ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
  const declared = options.ports ?? {};
  const measure = (positions: Record<string, Position>): Laid => ({
    positions,
    bounds: boundsOf(positions, size),
    ...tangles(drawnEdges(nodes, foldedPorts(nodes, positions, declared, direction)), positions, size, direction),
  });
  if (!options.untangle || nodes.length > UNTANGLE_MAX_NODES) return measure(layered(nodes, direction, size, {}));
  const readable = (l: Laid) => !options.viewport || titlePixels(fitZoom(l.bounds, options.viewport)) >= READABLE_TITLE;
  let laid: Laid[] = [];
  // Closer layers only where the roomy spacing is too wide to read at "fit view".
  for (const ranksep of direction === 'LR' ? [60, 40, 24] : [60]) {
    for (const ranker of ['network-simplex', 'longest-path', 'tight-tree'] as const) {
      for (const reversed of [false, true]) laid.push(measure(layered(nodes, direction, size, { ranker, reversed, ranksep })));
    }
    if (laid.some(readable)) break;
  }
  laid = laid.sort((a, b) => Number(readable(b)) - Number(readable(a)) || byTangle(a, b));
  const links = drawnEdges(nodes);
  // Across the flow: how far an edge bends (y left to right, x top to bottom) and how wide the drawing gets.
  const across = (p: Position) => (direction === 'LR' ? p.y : p.x);
  const spread = (positions: Readonly<Record<string, Position>>) => links.reduce((sum, l) => sum + Math.abs(across(positions[l.source]) - across(positions[l.target])), 0);
  // Tangles first (crossings and edges behind nodes), then straight edges and a narrow drawing; never less readable.
  const score = (positions: Readonly<Record<string, Position>>) => {
    const l = measure(positions as Record<string, Position>);
    return (readable(l) ? 0 : 1e9) + tangle(l) * 1e6 + spread(positions) / GRID + (direction === 'LR' ? l.bounds.height : l.bounds.width) / GRID;
  };
  const gap = direction === 'LR' ? { width: 20, height: 20 } : { width: 40, height: 40 };
  // The search moves nodes within and across layers as left-to-right layers stand (columns): a
  // top-to-bottom drawing is searched transposed, its layers (rows) as columns.
  const flip = direction === 'TB';
  const view = (positions: Readonly<Record<string, Position>>) => (flip ? transposed(positions) : { ...positions });
  const viewSize = (id: string): Size => (flip ? { width: size(id).height, height: size(id).width } : size(id));
  // The best few of dagre's drawings, each untangled: the search only moves downhill from where it starts.
  const untangled = laid
    .slice(0, UNTANGLE_STARTS)
    .map((l) => measure(normalized(view(untangle(view(l.positions), { size: viewSize, links, score: (p) => score(view(p)), gap, grid: GRID, budget: 1500 })))));
  return untangled.sort((a, b) => Number(readable(b)) - Number(readable(a)) || byTangle(a, b))[0];
}

/** Positions mirrored across the diagonal (x and y swapped). */
function transposed(positions: Readonly<Record<string, Position>>): Record<string, Position> {
  return Object.fromEntries(Object.entries(positions).map(([id, p]) => [id, { x: p.y, y: p.x }]));
}

/**
 * How tangled a drawing reads: an edge drawn behind a node it does not connect hides part of itself
 * and seems to touch that node, so it counts as more than a crossing, which the eye follows through.
 */
const THROUGH_NODE = 1.5;
const tangle = (l: Pick<Laid, 'crossings' | 'throughNodes'>) => l.crossings + THROUGH_NODE * l.throughNodes;

const byTangle = (a: Laid, b: Laid) => tangle(a) - tangle(b) || a.throughNodes - b.throughNodes || a.bounds.width * a.bounds.height - b.bounds.width * b.bounds.height;

interface Variant {
  ranker?: 'network-simplex' | 'longest-path' | 'tight-tree';
  align?: 'UL' | 'UR' | 'DL' | 'DR';
  /** Nodes and edges handed to dagre in reverse file order (its ordering heuristic depends on it). */
  reversed?: boolean;
  /** Room between layers; default 60. */
  ranksep?: number;
}

function layered(nodes: readonly CanvasNode[], direction: Direction, size: (id: string) => Size, variant: Variant): Record<string, Position> {
  const graph = new dagre.graphlib.Graph();
  const ranksep = variant.ranksep ?? 60;
  const spacing = direction === 'LR' ? { rankdir: 'LR', nodesep: 40, ranksep } : { rankdir: 'TB', nodesep: 60, ranksep };
  graph.setGraph({ ...spacing, marginx: 0, marginy: 0, ...(variant.ranker && { ranker: variant.ranker }), ...(variant.align && { align: variant.align }) });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  const order = variant.reversed ? [...nodes].reverse() : nodes;
  for (const node of order) graph.setNode(node.id, { ...size(node.id) });
  for (const node of order) {
    const refs = Object.values(node.inputs);
    for (const ref of variant.reversed ? refs.reverse() : refs) if (ids.has(ref.node) && ref.node !== node.id) graph.setEdge(ref.node, node.id);
  }
  dagre.layout(graph);
  const positions: Record<string, Position> = {};
  for (const node of nodes) {
    const { x, y } = graph.node(node.id);
    const { width, height } = size(node.id);
    // dagre gives centres; React Flow and the file use top-left corners.
    positions[node.id] = { x: snap(x - width / 2), y: snap(y - height / 2) };
  }
  return normalized(positions);
}

const GRID = 20;

/** Shifted so the top-left node corner is at 0, 0 (a layout does not wander across the canvas). */
function normalized(positions: Record<string, Position>): Record<string, Position> {
  const left = Math.min(...Object.values(positions).map((p) => p.x));
  const top = Math.min(...Object.values(positions).map((p) => p.y));
  return Object.fromEntries(Object.entries(positions).map(([id, p]) => [id, { x: p.x - left, y: p.y - top }]));
}

function boundsOf(positions: Readonly<Record<string, Position>>, size: (id: string) => Size): Size {
  const ids = Object.keys(positions);
  if (ids.length === 0) return { width: 0, height: 0 };
  const left = Math.min(...ids.map((id) => positions[id].x));
  const top = Math.min(...ids.map((id) => positions[id].y));
  const right = Math.max(...ids.map((id) => positions[id].x + size(id).width));
  const bottom = Math.max(...ids.map((id) => positions[id].y + size(id).height));
  return { width: right - left, height: bottom - top };
}

/** The zoom React Flow's fitView picks for content of `bounds` in `viewport` (getViewportForBounds). */
export function fitZoom(bounds: Size, viewport: Size, padding = FIT_PADDING, maxZoom = 1.5): number {
  const zoom = Math.min((viewport.width * (1 - 2 * padding)) / bounds.width, (viewport.height * (1 - 2 * padding)) / bounds.height);
  return Math.min(zoom, maxZoom);
}

function snap(v: number): number {
  return Math.round(v / GRID) * GRID + 0; // + 0 turns -0 into 0
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
