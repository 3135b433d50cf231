/**
 * Edges of a wrapped left-to-right drawing (layout.ts folds a long row of layers into rows, read
 * like lines of text). An edge whose target stands left of its source and below it (from the end of
 * one row to the start of a later one) cannot be one bezier: from a right-side handle to a
 * left-side handle behind it, the curve would cut back across both rows, behind their nodes. It is
 * drawn the way ELK routes its wrapped edges instead: out of the source to the right, down the gap
 * between two layers, left along the free band between the rows (the channel), down the gap before
 * the target's layer and into its input. Layers share one column grid across rows, so the gaps line
 * up and the route passes no node. Each such edge gets its own track in the channel and its own
 * lane in a gap, so no two merge into one line; the order of tracks and lanes is the one that
 * crosses least (see `lanes`). Computed from where the nodes stand, for the canvas and the layout's
 * crossing count alike.
 */
type Point = { x: number; y: number };
export type Box = { x: number; y: number; width: number; height: number };

/** Where a wrapped edge turns: down at x `down`, along the channel at y `channel`, down again at x `up`. */
export interface WrapRoute {
  down: number;
  channel: number;
  up: number;
}

export interface WrapEnds {
  id: string;
  source: string;
  target: string;
}

/** Distance from a node's side to the first lane in a gap, and between lanes and tracks. */
const FIRST_LANE = 16;
const LANE = 8;

/** The least height of a row break: a band free of nodes across the whole drawing (layout.ts leaves at least this between rows). */
export const ROW_BREAK = 60;

/**
 * The bands between rows: horizontal bands at least ROW_BREAK high that no node reaches into,
 * anywhere across the drawing. A layered left-to-right drawing stacks its layers' nodes closer
 * than that, so it has none unless it was folded into rows.
 */
export function rowBreaks(boxes: Iterable<Box>): { top: number; bottom: number }[] {
  const spans = [...boxes].map((b) => [b.y, b.y + b.height] as const).sort((a, b) => a[0] - b[0]);
  const breaks: { top: number; bottom: number }[] = [];
  let y = spans.length ? spans[0][1] : 0;
  for (const [from, to] of spans) {
    if (from - y >= ROW_BREAK) breaks.push({ top: y, bottom: from });
    y = Math.max(y, to);
  }
  return breaks;
}

/**
 * The routes of the edges drawn around the nodes among `edges` (others are drawn as beziers), from
 * the nodes' boxes: every edge from one row to a later one (a row break lies between them), along
 * the break just above its target; and any edge whose target stands left of its source's end and
 * wholly below it (a bezier would loop back across both), along the free band nearest above the
 * target across the route's width, or without one (nodes placed by hand across every band) just
 * above the target.
 */
export function wrapRoutes(edges: readonly WrapEnds[], boxes: ReadonlyMap<string, Box>): Map<string, WrapRoute> {
  const breaks = rowBreaks(boxes.values());
  const routes = new Map<string, WrapRoute>();
  const across = (s: Box, t: Box) => breaks.filter((b) => b.top >= s.y + s.height && b.bottom <= t.y).pop();
  const wrapped = edges.flatMap((e) => {
    const [s, t] = [boxes.get(e.source), boxes.get(e.target)];
    if (!s || !t || e.source === e.target) return [];
    const rowBreak = across(s, t);
    return rowBreak || (t.x < s.x + s.width && t.y >= s.y + s.height) ? [{ e, s, t, rowBreak }] : [];
  });
  if (wrapped.length === 0) return routes;
  const lanes = laneIndex(
    wrapped.map((w) => w.e),
    boxes,
  );
  const planned = wrapped.map(({ e, s, t, rowBreak }) => {
    const down = s.x + s.width + FIRST_LANE + LANE * lanes.out.get(e.source)!;
    const up = t.x - FIRST_LANE - LANE * lanes.in.get(e.target)!;
    return { e, down, up, band: rowBreak ?? freeBand(boxes, Math.min(up, down), Math.max(up, down), s.y + s.height, t.y) };
  });
  // Each channel's tracks, top to bottom, in the order that crosses least (trackOrder).
  const byBand = new Map<string, typeof planned>();
  for (const p of planned) {
    const key = `${p.band.top}:${p.band.bottom}`;
    byBand.set(key, [...(byBand.get(key) ?? []), p]);
  }
  for (const group of byBand.values()) {
    trackOrder(group);
    const { top, bottom } = group[0].band;
    const step = Math.min(LANE * 1.5, (bottom - top) / (group.length + 1));
    const first = (top + bottom) / 2 - (step * (group.length - 1)) / 2;
    group.forEach((p, i) => routes.set(p.e.id, { down: p.down, channel: Math.round(first + i * step), up: p.up }));
  }
  return routes;
}

/**
 * Orders the routes of one channel top to bottom so that they cross least. Route A above route B
 * crosses it where B's first descent passes through A's run (B turns down within A's width) and
 * where A's second descent passes through B's run. Starts from the routes by where they turn
 * down, left first, then swaps neighbours while that crosses less (a few routes per channel).
 */
function trackOrder(group: { down: number; up: number }[]): void {
  const within = (x: number, r: { down: number; up: number }) => x > Math.min(r.down, r.up) && x < Math.max(r.down, r.up);
  const cost = (a: { down: number; up: number }, b: { down: number; up: number }) => Number(within(b.down, a)) + Number(within(a.up, b));
  group.sort((a, b) => a.down - b.down || a.up - b.up);
  for (let swapped = true, rounds = 0; swapped && rounds < group.length * group.length; rounds++) {
    swapped = false;
    for (let i = 0; i + 1 < group.length; i++) {
      if (cost(group[i + 1], group[i]) < cost(group[i], group[i + 1])) {
        [group[i], group[i + 1]] = [group[i + 1], group[i]];
        swapped = true;
      }
    }
  }
}

/**
 * Each wrapped edge's lane in the gap beside its node, as a count of lanes away from the node:
 * edges of one node share a lane; where several nodes of a column send wrapped edges, the lowest
 * node's lane is nearest (an upper node's descent then passes outside the lower node's stub), and
 * where several receive, the highest node's lane is nearest, for the same reason.
 */
function laneIndex(wrapped: readonly WrapEnds[], boxes: ReadonlyMap<string, Box>) {
  const assign = (ids: string[], side: (b: Box) => number, lowestFirst: boolean) => {
    const lane = new Map<string, number>();
    const columns = new Map<number, string[]>();
    for (const id of new Set(ids)) columns.set(side(boxes.get(id)!), [...(columns.get(side(boxes.get(id)!)) ?? []), id]);
    for (const column of columns.values()) {
      column.sort((a, b) => (lowestFirst ? boxes.get(b)!.y - boxes.get(a)!.y : boxes.get(a)!.y - boxes.get(b)!.y) || a.localeCompare(b));
      column.forEach((id, i) => lane.set(id, i));
    }
    return lane;
  };
  return {
    out: assign(
      wrapped.map((e) => e.source),
      (b) => b.x + b.width,
      true,
    ),
    in: assign(
      wrapped.map((e) => e.target),
      (b) => b.x,
      false,
    ),
  };
}

/** The free horizontal band nearest `bottom` between `top` and `bottom`, across x from `left` to `right`. */
function freeBand(boxes: ReadonlyMap<string, Box>, left: number, right: number, top: number, bottom: number): { top: number; bottom: number } {
  const blocked = [...boxes.values()]
    .filter((b) => b.x < right && b.x + b.width > left && b.y < bottom && b.y + b.height > top)
    .map((b) => [b.y, b.y + b.height] as const)
    .sort((a, b) => a[0] - b[0]);
  const bands: { top: number; bottom: number }[] = [];
  let y = top;
  for (const [from, to] of blocked) {
    if (from > y) bands.push({ top: y, bottom: from });
    y = Math.max(y, to);
  }
  if (bottom > y) bands.push({ top: y, bottom });
  return bands.filter((b) => b.bottom - b.top >= LANE * 2).pop() ?? { top: bottom - LANE * 4, bottom };
}

/** The corners of a wrapped edge from handle `s` to handle `t`. */
export function wrapCorners(s: Point, t: Point, route: WrapRoute): Point[] {
  return [s, { x: route.down, y: s.y }, { x: route.down, y: route.channel }, { x: route.up, y: route.channel }, { x: route.up, y: t.y }, t];
}

/** The corners sampled every `step` units (a crossing or a node is found on the samples, as on a bezier's). */
export function wrapPoints(s: Point, t: Point, route: WrapRoute, step = 10): Point[] {
  const corners = wrapCorners(s, t, route);
  const points: Point[] = [corners[0]];
  for (let i = 1; i < corners.length; i++) {
    const [a, b] = [corners[i - 1], corners[i]];
    const n = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / step));
    for (let k = 1; k <= n; k++) points.push({ x: a.x + ((b.x - a.x) * k) / n, y: a.y + ((b.y - a.y) * k) / n });
  }
  return points;
}

/** An SVG path through the corners, each rounded (as React Flow's smooth-step edges are), and the midpoint of the channel run for a label. */
export function wrapPath(s: Point, t: Point, route: WrapRoute, radius = 8): { path: string; labelX: number; labelY: number } {
  const c = wrapCorners(s, t, route);
  let path = `M ${c[0].x} ${c[0].y}`;
  for (let i = 1; i < c.length - 1; i++) {
    const [a, b, n] = [c[i - 1], c[i], c[i + 1]];
    const r = Math.min(radius, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(n.x - b.x, n.y - b.y) / 2);
    const from = toward(b, a, r);
    const to = toward(b, n, r);
    path += ` L ${from.x} ${from.y} Q ${b.x} ${b.y} ${to.x} ${to.y}`;
  }
  path += ` L ${t.x} ${t.y}`;
  return { path, labelX: (route.down + route.up) / 2, labelY: route.channel };
}

function toward(from: Point, to: Point, distance: number): Point {
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return { x: from.x + ((to.x - from.x) * distance) / length, y: from.y + ((to.y - from.y) * distance) / length };
}
