/**
 * How tangled a drawing of the pipeline is, measured on the curves React Flow draws: each edge is
 * the default bezier from its output handle to its input handle (right side to left side in a
 * left-to-right drawing, bottom to top in a top-to-bottom one), handles spread evenly along the
 * side as compact nodes draw them at "fit view"; an edge from one row of a wrapped drawing to a
 * later one, routed around the nodes (wrap-route.ts). Counts pairs of edges that cross (not two
 * edges between the same nodes: see `parallel`), of them those at right angles (two routed edges:
 * a track across a descent), and edges that pass through a node they do not connect.
 */
import type { Position } from '../../../protocol/messages.ts';
import { rowBreaks, wrapPoints, wrapRoutes } from './wrap-route.ts';

/** Which way a drawing flows: outputs on the right and inputs on the left, or outputs at the bottom and inputs on top. */
export type Direction = 'LR' | 'TB';

export interface DrawnEdge {
  source: string;
  /** Index and count of the output handle on the source's right side (bottom, top to bottom). */
  out: [number, number];
  target: string;
  /** Index and count of the input handle on the target's left side (top, top to bottom). */
  in: [number, number];
}

type Point = { x: number; y: number };
type Size = { width: number; height: number };

const SAMPLES = 12;

/** A point mirrored across the diagonal: a top-to-bottom drawing is a left-to-right one transposed. */
const transposed = (p: Point): Point => ({ x: p.y, y: p.x });

/**
 * The bezier React Flow draws (getBezierPath, curvature 0.25), as a polyline: its control points
 * leave the handles sideways (LR: right → left) or vertically (TB: bottom → top), the same curve
 * with x and y swapped.
 */
export function bezierPoints(s: Point, t: Point, direction: Direction = 'LR'): Point[] {
  if (direction === 'TB') return bezierPoints(transposed(s), transposed(t)).map(transposed);
  const offset = (d: number) => (d >= 0 ? 0.5 * d : 0.25 * 25 * Math.sqrt(-d));
  const c1 = { x: s.x + offset(t.x - s.x), y: s.y };
  const c2 = { x: t.x - offset(t.x - s.x), y: t.y };
  const points: Point[] = [];
  for (let i = 0; i <= SAMPLES; i++) {
    const u = i / SAMPLES;
    const a = (1 - u) ** 3;
    const b = 3 * (1 - u) ** 2 * u;
    const c = 3 * (1 - u) * u ** 2;
    const d = u ** 3;
    points.push({ x: a * s.x + b * c1.x + c * c2.x + d * t.x, y: a * s.y + b * c1.y + c * c2.y + d * t.y });
  }
  return points;
}

const side = (a: Point, b: Point, c: Point) => (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);

function segmentsCross(p1: Point, p2: Point, p3: Point, p4: Point): boolean {
  // Apart on either axis: no crossing (most pairs of segments end here).
  if (Math.max(p1.x, p2.x) < Math.min(p3.x, p4.x) || Math.max(p3.x, p4.x) < Math.min(p1.x, p2.x)) return false;
  if (Math.max(p1.y, p2.y) < Math.min(p3.y, p4.y) || Math.max(p3.y, p4.y) < Math.min(p1.y, p2.y)) return false;
  const d1 = side(p3, p4, p1);
  const d2 = side(p3, p4, p2);
  const d3 = side(p1, p2, p3);
  const d4 = side(p1, p2, p4);
  // Touching counts (two curves can meet exactly at a sample point); segments on one line do not.
  if (d1 === 0 && d2 === 0) return false;
  return ((d1 >= 0 && d2 <= 0) || (d1 <= 0 && d2 >= 0)) && ((d3 >= 0 && d4 <= 0) || (d3 <= 0 && d4 >= 0));
}

const near = (a: Point, b: Point) => Math.abs(a.x - b.x) < 1 && Math.abs(a.y - b.y) < 1;

/** A sampled edge with its bounding box (most pairs of edges are told apart by their boxes alone). */
export interface Curve {
  points: Point[];
  box: { left: number; top: number; right: number; bottom: number };
}

export function curve(s: Point, t: Point, direction: Direction = 'LR'): Curve {
  return polyline(bezierPoints(s, t, direction));
}

/** A drawn edge through these points (a wrapped edge's route, wrap-route.ts). */
export function polyline(points: Point[]): Curve {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  return { points, box: { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) } };
}

/** Whether two drawn edges cross. Edges that share a handle meet there (not a crossing); leaving it in the wrong order still is one. */
export function curvesCross(ca: Curve, cb: Curve): boolean {
  if (ca.box.right < cb.box.left || cb.box.right < ca.box.left || ca.box.bottom < cb.box.top || cb.box.bottom < ca.box.top) return false;
  const a = ca.points;
  const b = cb.points;
  const sharedStart = near(a[0], b[0]);
  const sharedEnd = near(a[a.length - 1], b[b.length - 1]);
  // Only segments that reach into the other curve's box can cross it (a few of each).
  const into = (points: Point[], box: Curve['box']) => {
    const found: number[] = [];
    for (let i = sharedStart ? 1 : 0; i < points.length - (sharedEnd ? 2 : 1); i++) {
      const [p, q] = [points[i], points[i + 1]];
      if (Math.max(p.x, q.x) >= box.left && Math.min(p.x, q.x) <= box.right && Math.max(p.y, q.y) >= box.top && Math.min(p.y, q.y) <= box.bottom) found.push(i);
    }
    return found;
  };
  const nearB = into(b, ca.box);
  if (nearB.length === 0) return false;
  for (const i of into(a, cb.box)) {
    for (const j of nearB) {
      if (segmentsCross(a[i], a[i + 1], b[j], b[j + 1])) return true;
    }
  }
  return false;
}

/** Whether a drawn edge passes through a node's box. */
export function curveThrough(c: Curve, box: Position & Size): boolean {
  if (c.box.right <= box.x || c.box.left >= box.x + box.width || c.box.bottom <= box.y || c.box.top >= box.y + box.height) return false;
  return c.points.some((p) => p.x > box.x && p.x < box.x + box.width && p.y > box.y && p.y < box.y + box.height);
}

/** Handle points of an edge: the source's right side and the target's left side (TB: bottom and top). */
export function edgeEnds(e: DrawnEdge, at: (id: string) => Position & Size, direction: Direction = 'LR'): [Point, Point] {
  const s = at(e.source);
  const t = at(e.target);
  if (direction === 'TB') {
    return [
      { x: s.x + (s.width * (e.out[0] + 1)) / (e.out[1] + 1), y: s.y + s.height },
      { x: t.x + (t.width * (e.in[0] + 1)) / (e.in[1] + 1), y: t.y },
    ];
  }
  return [
    { x: s.x + s.width, y: s.y + (s.height * (e.out[0] + 1)) / (e.out[1] + 1) },
    { x: t.x, y: t.y + (t.height * (e.in[0] + 1)) / (e.in[1] + 1) },
  ];
}

/**
 * Two edges between the same two nodes: whether they twist depends only on the order of the ports
 * on each node, which no layout changes; such twists are not counted as crossings.
 */
export const parallel = (a: DrawnEdge, b: DrawnEdge) => a.source === b.source && a.target === b.target;

/**
 * Curves and crossing tests already computed, by geometry. A layout search (untangle.ts) measures
 * thousands of drawings that differ from the last by one node: most edges keep both handles where
 * they were, so their curves, and whether two of them cross, are looked up instead of sampled and
 * intersected again. Pure geometry: one memo serves any drawings of any pipeline.
 */
export class CurveMemo {
  private readonly ids = new Map<string, number>();
  private readonly curves: Curve[] = [];
  private readonly crossed = new Map<number, boolean>();

  /** The curve with this key (its handles and route), sampled by `make` the first time, and its id. */
  curve(key: string, make: () => Curve): { id: number; curve: Curve } {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.curves.push(make()) - 1;
      this.ids.set(key, id);
    }
    return { id, curve: this.curves[id] };
  }

  /** curvesCross of two curves by id. */
  cross(a: number, b: number): boolean {
    const key = a < b ? a * 2 ** 26 + b : b * 2 ** 26 + a;
    let result = this.crossed.get(key);
    if (result === undefined) {
      result = curvesCross(this.curves[a], this.curves[b]);
      this.crossed.set(key, result);
    }
    return result;
  }
}

/** A coordinate as a key: handles stand on a 20-unit grid plus fractions of a node's side, never closer than 1/1024 apart. */
const keyOf = (v: number) => Math.round(v * 1024);

/** Each edge as React Flow draws it: a bezier, or left to right from the end of one row to the start of the next, a route around the nodes (wrap-route.ts). */
export function drawnCurves(
  edges: readonly DrawnEdge[],
  positions: Readonly<Record<string, Position>>,
  size: (id: string) => Size,
  direction: Direction = 'LR',
  memo = new CurveMemo(),
  boxes: ReadonlyMap<string, Position & Size> = new Map(Object.keys(positions).map((id) => [id, { ...positions[id], ...size(id) }])),
): { curves: Curve[]; wrapped: boolean[]; ids: number[] } {
  const at = (id: string) => boxes.get(id)!;
  const routes = direction === 'LR' && mayWrap(edges, boxes) ? wrapRoutes(edges.map((e, i) => ({ id: String(i), source: e.source, target: e.target })), boxes) : undefined;
  const curves: Curve[] = [];
  const wrapped: boolean[] = [];
  const ids: number[] = [];
  edges.forEach((e, i) => {
    const route = routes?.get(String(i));
    const [s, t] = edgeEnds(e, at, direction);
    const ends = `${keyOf(s.x)},${keyOf(s.y)},${keyOf(t.x)},${keyOf(t.y)}`;
    const drawn = route ? memo.curve(`W${ends},${keyOf(route.down)},${keyOf(route.channel)},${keyOf(route.up)}`, () => polyline(wrapPoints(s, t, route))) : memo.curve(direction + ends, () => curve(s, t, direction));
    curves.push(drawn.curve);
    wrapped.push(route !== undefined);
    ids.push(drawn.id);
  });
  return { curves, wrapped, ids };
}

/**
 * Whether any edge may be routed around the nodes (wrapRoutes): the drawing has rows (a row break),
 * or an edge's target stands left of its source's end and below it. Most drawings a search
 * measures have neither.
 */
function mayWrap(edges: readonly DrawnEdge[], boxes: ReadonlyMap<string, Position & Size>): boolean {
  if (rowBreaks(boxes.values()).length > 0) return true;
  return edges.some((e) => {
    const [s, t] = [boxes.get(e.source), boxes.get(e.target)];
    return s !== undefined && t !== undefined && t.x < s.x + s.width && t.y >= s.y + s.height;
  });
}

/** Crossings (of them at right angles: `square`) and edges behind nodes of a drawing; `memo` shares curves and crossing tests across drawings. */
export function tangles(
  edges: readonly DrawnEdge[],
  positions: Readonly<Record<string, Position>>,
  size: (id: string) => Size,
  direction: Direction = 'LR',
  memo = new CurveMemo(),
): { crossings: number; throughNodes: number; square: number } {
  const boxes = new Map(Object.keys(positions).map((id) => [id, { ...positions[id], ...size(id) }]));
  const { curves, wrapped, ids } = drawnCurves(edges, positions, size, direction, memo, boxes);
  let crossings = 0;
  let square = 0;
  // Two wrapped edges from one handle share their descent and branch off into their own tracks: a fork, not a crossing.
  const fork = (i: number, j: number) => wrapped[i] && wrapped[j] && near(curves[i].points[0], curves[j].points[0]);
  for (let i = 0; i < curves.length; i++) {
    const a = curves[i].box;
    for (let j = i + 1; j < curves.length; j++) {
      const b = curves[j].box;
      if (a.right < b.left || b.right < a.left || a.bottom < b.top || b.bottom < a.top) continue;
      if (parallel(edges[i], edges[j]) || fork(i, j) || !memo.cross(ids[i], ids[j])) continue;
      crossings++;
      if (wrapped[i] && wrapped[j]) square++;
    }
  }
  let throughNodes = 0;
  edges.forEach((e, i) => {
    for (const [id, box] of boxes) if (id !== e.source && id !== e.target && curveThrough(curves[i], box)) throughNodes++;
  });
  return { crossings, throughNodes, square };
}
