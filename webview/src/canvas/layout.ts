import dagre from '@dagrejs/dagre';
import type { CanvasNode, Position } from '../../../protocol/messages.ts';
import { CurveMemo, tangles, type Direction, type DrawnEdge } from './crossings.ts';
import { foldedPorts, type NodePorts } from './port-order.ts';
import { untangle } from './untangle.ts';
import { rowBreaks } from './wrap-route.ts';

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
  /**
   * `sizes` were measured on compact nodes (the canvas zoomed out): a drawing that would fit at
   * COMPACT_ZOOM or closer is laid out again with full nodes' sizes (fullNodeSize, from `ports`).
   */
  zoomedOut?: boolean;
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
  /** The nodes' sizes it was laid out with. */
  size: (id: string) => Size;
  /** The direction it was laid out in (a wrapped drawing: LR). */
  shape: Direction;
  bounds: Size;
  crossings: number;
  throughNodes: number;
  /** Of the crossings, those at right angles (a routed edge's track across another's descent). */
  square: number;
}

/**
 * Layered layout of the DAG (dagre), in whole units on a 20-unit grid so the `layout` section of
 * the file stays short and diffs stay small. Without a pane, left to right. For a pane, the best of
 * three shapes: left to right; left to right folded into rows like lines of text where that row
 * would be much wider than the pane (wrapped: edges between rows are routed around the nodes,
 * wrap-route.ts); and top to bottom. Best: readable at "fit view" (titles ≥ READABLE_TITLE), then
 * the larger fit zoom against the fewer tangles (worthOf). The nodes' handles follow the drawing
 * (flowDirection: outputs on the right and inputs on the left, or outputs at the bottom and inputs
 * on top). With `untangle`, each shape is the drawing with the fewest edge crossings and edges
 * behind nodes (as React Flow draws them, crossings.ts, compact handles folded as port-order.ts
 * orders them) among dagre's variants, then untangled node by node (untangle.ts): dagre minimizes
 * the crossings of its own routed polylines, but React Flow draws one bezier from handle to
 * handle. A pure function of the pipeline, the node sizes and the pane: nodes and edges in file
 * order.
 */
export function autoLayout(nodes: readonly CanvasNode[], options: LayoutOptions = {}): Record<string, Position> {
  const compact = (id: string): Size => options.sizes?.[id] ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
  const run: Run = { ...options, measurer: new Measurer(nodes, options.ports ?? {}) };
  let pool = candidates(nodes, run, compact);
  const { viewport } = options;
  const close = (l: Laid) => viewport !== undefined && fitZoom(l.bounds, viewport) >= COMPACT_ZOOM;
  if (viewport && options.zoomedOut && options.ports && pool.some(close)) {
    // A drawing that fits at COMPACT_ZOOM or closer draws full nodes, with their ports: laid out
    // with compact sizes they would overlap. Those shapes are laid out again with full sizes.
    const ports = options.ports;
    const full = (id: string): Size => fullNodeSize(ports[id] ?? { inputs: [], outputs: [] }, compact(id));
    // One that then fits below COMPACT_ZOOM draws compact nodes after all: it is measured so.
    const drawn = (l: Laid) => (fitZoom(l.bounds, viewport) < COMPACT_ZOOM ? run.measurer.measure(l.positions, compact, flowDirection(nodes, l.positions)) : l);
    const again = [...new Set(pool.filter(close).map((l) => l.shape))];
    pool = [...pool.filter((l) => !close(l)), ...candidates(nodes, run, full, again).map(drawn)];
  }
  if (!viewport) return pool.sort(byTangle)[0].positions;
  return pool.sort((a, b) => worthOf(b, viewport) - worthOf(a, viewport))[0].positions;
}

/**
 * What a fit zoom is worth, in crossings: each 10 % of zoom (10 % larger titles, 21 % more of the
 * pane used) is worth one crossing. Past full size (zoom 1) a larger drawing reads no better.
 */
export const ZOOM_PER_TANGLE = 0.1;
const worth = (zoom: number) => Math.log(Math.min(zoom, 1)) / Math.log(1 + ZOOM_PER_TANGLE);
/** How good a drawing is in a pane: readable first; then a larger fit zoom against fewer tangles. */
function worthOf(l: Laid, viewport: Size): number {
  const zoom = fitZoom(l.bounds, viewport);
  return (titlePixels(zoom) >= READABLE_TITLE ? 0 : -1e9) + worth(zoom) - tangle(l);
}

/**
 * Rough size of a node drawn full (zoomed in, ports labelled): a header, then one 20-unit row per
 * port on the longer side (left to right); never smaller than `compact`. The layout needs it for
 * drawings that will be fitted at a zoom where nodes draw full, before any is measured.
 */
export function fullNodeSize(ports: NodePorts, compact: Size): Size {
  const rows = Math.max(ports.inputs.length, ports.outputs.length, 1);
  return { width: Math.max(NODE_WIDTH, compact.width), height: Math.max(compact.height, FULL_HEADER + 20 * rows) };
}
/**
 * A compact node's size as the canvas draws it (measured in code-server): the 22-unit title on one
 * line, or on two where the id breaks after a "_" or "-" (PipelineNode's `breakable`).
 */
export function compactNodeSize(id: string): Size {
  return { width: NODE_WIDTH, height: /[_-]/.test(id) ? 69 : 43 };
}

/** A full node's header (id and component) with its borders and the ports' padding, in flow units. */
const FULL_HEADER = 56;

/**
 * The drawings the layout picks from: left to right, folded into rows (wrapped), and top to bottom.
 * Without a pane, only left to right (or the given direction); in a pane, top to bottom too, and
 * the left-to-right drawing folded into 2 or more rows where it is wider than the pane's shape.
 */
function candidates(nodes: readonly CanvasNode[], options: Run, size: (id: string) => Size, shapes?: readonly Direction[]): Laid[] {
  const { viewport } = options;
  const readable = (l: Laid) => (viewport ? titlePixels(fitZoom(l.bounds, viewport)) >= READABLE_TITLE : true);
  const result: Laid[] = [];
  const directions: Direction[] = options.direction ? [options.direction] : viewport ? ['LR', 'TB'] : ['LR'];
  for (const direction of directions.filter((d) => !shapes || shapes.includes(d))) {
    if (direction === 'TB') {
      result.push(best(nodes, 'TB', options, size, [60]));
      continue;
    }
    // The roomy drawing first: its gaps between layers carry the wrapped edges when it is folded.
    const roomy = best(nodes, 'LR', options, size, [60]);
    result.push(roomy);
    if (!readable(roomy)) result.push(best(nodes, 'LR', options, size, [40, 24]));
    if (viewport) result.push(...wrapped(nodes, roomy, viewport, size, options));
  }
  return result;
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

function best(nodes: readonly CanvasNode[], direction: Direction, options: Run, size: (id: string) => Size, ranseps: readonly number[]): Laid {
  const measure = (positions: Record<string, Position>) => options.measurer.measure(positions, size, direction);
  if (!options.untangle || nodes.length > UNTANGLE_MAX_NODES) return measure(layered(nodes, direction, size, { ranksep: ranseps[0] }));
  const readable = (l: Laid) => !options.viewport || titlePixels(fitZoom(l.bounds, options.viewport)) >= READABLE_TITLE;
  let laid: Laid[] = [];
  // Closer layers only where the roomy spacing is too wide to read at "fit view".
  for (const ranksep of ranseps) {
    for (const ranker of ['network-simplex', 'longest-path', 'tight-tree'] as const) {
      for (const reversed of [false, true]) laid.push(measure(options.measurer.layered(direction, size, { ranker, reversed, ranksep })));
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
  const r = untangled.sort((a, b) => Number(readable(b)) - Number(readable(a)) || byTangle(a, b))[0];
  return r;
}

/** The options of one Auto layout, with what its searches share. */
type Run = LayoutOptions & { measurer: Measurer };

/**
 * Measures drawings of one pipeline: bounds and tangles as React Flow draws them. The searches of
 * one Auto layout measure many drawings, often the same one again (from another start, or another
 * shape's search through the same place) and mostly ones that differ in a node or two: a drawing
 * measured before is looked up, and curves and crossing tests are shared (CurveMemo).
 */
class Measurer {
  private readonly memo = new CurveMemo();
  private readonly seen = new Map<(id: string) => Size, Map<string, Laid>>();
  constructor(
    private readonly nodes: readonly CanvasNode[],
    private readonly declared: Readonly<Record<string, NodePorts>>,
  ) {}

  private readonly drawn = new Map<(id: string) => Size, Map<string, Record<string, Position>>>();
  /** dagre's drawing (layered), drawn once per run. */
  layered(direction: Direction, size: (id: string) => Size, variant: Variant): Record<string, Position> {
    const bySize = this.drawn.get(size) ?? this.drawn.set(size, new Map()).get(size)!;
    const key = `${direction} ${variant.ranker} ${variant.reversed} ${variant.ranksep}`;
    const known = bySize.get(key) ?? bySize.set(key, layered(this.nodes, direction, size, variant)).get(key)!;
    return { ...known };
  }

  /** A drawing with its bounds and its tangles, laid out with nodes of `size`, flowing `direction`. */
  measure(positions: Record<string, Position>, size: (id: string) => Size, direction: Direction): Laid {
    const bySize = this.seen.get(size) ?? this.seen.set(size, new Map()).get(size)!;
    const key = direction + Object.entries(positions).map(([id, p]) => `${id}:${p.x},${p.y}`).join(';');
    const known = bySize.get(key);
    if (known) return { ...known, positions };
    const laid: Laid = {
      positions,
      size,
      shape: direction,
      bounds: boundsOf(positions, size),
      ...tangles(drawnEdges(this.nodes, foldedPorts(this.nodes, positions, this.declared, direction)), positions, size, direction, this.memo),
    };
    bySize.set(key, laid);
    return laid;
  }
}

/** Most rows a left-to-right drawing is folded into. */
const MAX_ROWS = 4;
/** Room between two rows of a wrapped drawing, and more per wrapped edge that runs along it. */
const ROW_GAP = 60;
const TRACK = 12;

/**
 * A left-to-right drawing much wider than the pane, folded into rows like lines of text: its
 * layers (columns) cut into runs, each run a row starting at the left, rows stacked downwards with
 * a channel between them. Edges within a row stay as drawn; an edge from a row to a later one runs
 * down a gap between layers and along a channel (wrap-route.ts). Columns keep one grid across rows,
 * so those gaps line up. Every fold into 2 to MAX_ROWS rows of at most the needed number of
 * layers each is measured; the caller picks (autoLayout). None where the drawing is no wider than
 * the pane's shape, or reads top to bottom once folded (its handles would turn).
 */
function wrapped(nodes: readonly CanvasNode[], laid: Laid, viewport: Size, size: (id: string) => Size, options: Run): Laid[] {
  const columns = [...new Set(Object.values(laid.positions).map((p) => p.x))].sort((a, b) => a - b);
  if (columns.length < 4 || laid.bounds.width * viewport.height <= laid.bounds.height * viewport.width) return [];
  const measure = (positions: Record<string, Position>) => options.measurer.measure(positions, size, 'LR');
  const folds: Laid[] = [];
  for (let rows = 2; rows <= Math.min(MAX_ROWS, Math.floor(columns.length / 2)); rows++) {
    for (const lengths of splits(columns.length, rows)) {
      const positions = fold(nodes, laid.positions, columns, lengths, size);
      if (flowDirection(nodes, positions) === 'LR') folds.push(measure(positions));
    }
  }
  if (!options.untangle || nodes.length > UNTANGLE_MAX_NODES) return folds;
  // Each row was ordered for the drawing in one row: the best few folds are untangled again,
  // scored as autoLayout picks, the rows kept as they are (no node moves into the band between two rows or opens a new one).
  folds.sort((a, b) => worthOf(b, viewport) - worthOf(a, viewport));
  const links = drawnEdges(nodes);
  const untangled = folds.slice(0, WRAP_STARTS).map((l) => {
    const breaks = rowBreaks(Object.entries(l.positions).map(([id, p]) => ({ ...p, ...size(id) })));
    // Straight edges within rows (edges between rows are routed: how far they drop does not matter).
    const row = (id: string) => breaks.filter((b) => b.bottom <= l.positions[id].y).length;
    const within = links.filter((k) => row(k.source) === row(k.target));
    const spread = (positions: Readonly<Record<string, Position>>) => within.reduce((sum, k) => sum + Math.abs(positions[k.source].y - positions[k.target].y), 0);
    const score = (positions: Readonly<Record<string, Position>>) => {
      const boxes = Object.entries(positions).map(([id, p]) => ({ ...p, ...size(id) }));
      if (rowBreaks(boxes).length !== breaks.length) return Infinity;
      return -worthOf(measure(positions as Record<string, Position>), viewport) * 1e6 + spread(positions) / GRID;
    };
    return measure(normalized(untangle(l.positions, { size, links, score, gap: { width: 20, height: 20 }, grid: GRID, budget: 1500 })));
  });
  return [...folds, ...untangled];
}

/** How many of the best folds are untangled again (each is a search as long as a shape's). */
const WRAP_STARTS = 1;

/** The ways to cut `count` layers into `rows` runs of 2 or more (a row of one layer reads as a stray node), the most even first (the 12 most even: a long pipeline has very many). */
function splits(count: number, rows: number): number[][] {
  const result: number[][] = [];
  const walk = (left: number, runs: number[]) => {
    if (result.length >= 4096) return;
    if (runs.length === rows - 1) return void (left >= 2 && result.push([...runs, left]));
    for (let n = 2; left - n >= 2 * (rows - runs.length - 1); n++) walk(left - n, [...runs, n]);
  };
  walk(count, []);
  return result.sort((a, b) => Math.max(...a) - Math.max(...b)).slice(0, 12);
}

/** The drawing's columns cut into rows of `lengths` columns, each row moved to the left edge, below the one before. */
function fold(nodes: readonly CanvasNode[], positions: Readonly<Record<string, Position>>, columns: readonly number[], lengths: readonly number[], size: (id: string) => Size): Record<string, Position> {
  const rowOfColumn: number[] = lengths.flatMap((n, row) => Array<number>(n).fill(row));
  const row = (id: string) => rowOfColumn[columns.indexOf(positions[id].x)];
  const ids = Object.keys(positions);
  // Each channel gets a track per edge that may run along it: from an earlier row into this one.
  const into = lengths.map(() => 0);
  for (const node of nodes) for (const ref of Object.values(node.inputs)) if (positions[ref.node] && positions[node.id] && row(ref.node) < row(node.id)) into[row(node.id)]++;
  const folded: Record<string, Position> = {};
  let top = 0;
  lengths.forEach((_, r) => {
    const members = ids.filter((id) => row(id) === r);
    const left = columns[rowOfColumn.indexOf(r)];
    if (r > 0) top = Math.ceil((top + ROW_GAP + TRACK * into[r]) / GRID) * GRID;
    const minY = Math.min(...members.map((id) => positions[id].y));
    for (const id of members) folded[id] = { x: positions[id].x - left, y: top + positions[id].y - minY };
    top += Math.max(...members.map((id) => positions[id].y - minY + size(id).height));
  });
  return folded;
}

/** Positions mirrored across the diagonal (x and y swapped). */
function transposed(positions: Readonly<Record<string, Position>>): Record<string, Position> {
  return Object.fromEntries(Object.entries(positions).map(([id, p]) => [id, { x: p.y, y: p.x }]));
}

/**
 * How tangled a drawing reads: an edge drawn behind a node it does not connect hides part of itself
 * and seems to touch that node, so it counts as more than a crossing, which the eye follows through.
 * Two edges crossing at a right angle (the straight runs of routed edges between rows) are told
 * apart at a glance, unlike two curves meeting at a shallow angle: such a crossing counts half
 * (Huang, Hong and Eades, "Effects of crossing angles", PacificVis 2008: the larger the angle, the
 * less a crossing slows reading; near 90° it hardly does).
 */
const THROUGH_NODE = 1.5;
const SQUARE_CROSSING = 0.5;
const tangle = (l: Pick<Laid, 'crossings' | 'throughNodes' | 'square'>) => l.crossings - (1 - SQUARE_CROSSING) * l.square + THROUGH_NODE * l.throughNodes;

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
