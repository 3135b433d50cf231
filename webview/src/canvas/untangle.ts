/**
 * Local search on a layered drawing, scored on the curves React Flow draws (crossings.ts): move one
 * node at a time, up or down within its layer, or to another layer its edges allow, and keep the
 * move when the drawing gets less tangled. Layered layouts (dagre, ELK) minimise the crossings of
 * their own routed polylines, through dummy nodes on long edges; the canvas draws one bezier from
 * handle to handle, so long edges cut corners that the layered order did not see.
 */
import type { Position } from '../../../protocol/messages.ts';

type Size = { width: number; height: number };

export interface UntangleOptions {
  /** Each node's size. */
  size: (id: string) => Size;
  /** Edges as node pairs (source left of target). */
  links: readonly { source: string; target: string }[];
  /** Lower is better; compared after every move (the drawing's crossings, through-nodes, spread...). */
  score: (positions: Readonly<Record<string, Position>>) => number;
  /** Free room kept around a node, horizontally and vertically. */
  gap: Size;
  grid: number;
  /** Stop after this many scored drawings (bounded time on large pipelines). */
  budget: number;
}

export function untangle(start: Readonly<Record<string, Position>>, options: UntangleOptions): Record<string, Position> {
  const { size, links, score, gap, grid } = options;
  let positions: Record<string, Position> = { ...start };
  let best = score(positions);
  let left = options.budget;
  const ids = Object.keys(positions);
  const preds = new Map(ids.map((id) => [id, links.filter((l) => l.target === id).map((l) => l.source)]));
  const succs = new Map(ids.map((id) => [id, links.filter((l) => l.source === id).map((l) => l.target)]));
  const free = (id: string, p: Position, at: Record<string, Position>) => {
    const s = size(id);
    return ids.every((other) => {
      if (other === id) return true;
      const o = at[other];
      const t = size(other);
      return p.x + s.width + gap.width <= o.x || o.x + t.width + gap.width <= p.x || p.y + s.height + gap.height <= o.y || o.y + t.height + gap.height <= p.y;
    });
  };
  for (let improved = true; improved && left > 0; ) {
    improved = false;
    for (const id of ids) {
      for (const p of candidates(id, positions)) {
        if (left-- <= 0) break;
        if (!free(id, p, positions)) continue;
        const next = { ...positions, [id]: p };
        const s = score(next);
        if (s < best - 1e-9) {
          best = s;
          positions = next;
          improved = true;
        }
      }
    }
  }
  return positions;

  /** Other places for a node: its layer's column at other heights, level with a neighbour, or another column between its neighbours. */
  function candidates(id: string, at: Record<string, Position>): Position[] {
    const here = at[id];
    const w = size(id).width;
    const columns = [...new Set(ids.map((o) => at[o].x))];
    const earliest = Math.max(-Infinity, ...preds.get(id)!.map((o) => at[o].x + size(o).width + gap.width));
    const latest = Math.min(Infinity, ...succs.get(id)!.map((o) => at[o].x - w - gap.width));
    const xs = [here.x, ...columns.filter((x) => x !== here.x && x >= earliest && x <= latest)];
    const ys = new Set<number>();
    for (const o of [...preds.get(id)!, ...succs.get(id)!]) ys.add(at[o].y);
    for (const d of [1, 2, 4, 8]) ys.add(here.y - d * grid).add(here.y + d * grid);
    // Just above or below each node of a column it could stand in.
    for (const o of ids) if (xs.includes(at[o].x)) ys.add(at[o].y - size(id).height - gap.height).add(at[o].y + size(o).height + gap.height);
    const result: Position[] = [];
    for (const x of xs) for (const y of ys) if (x !== here.x || y !== here.y) result.push({ x, y: Math.round(y / grid) * grid });
    return result;
  }
}
