/** Search strategies over a declared space: seeded random samples and the full grid. */
import { UserError } from '../../core/errors.ts';
import type { HyperParameters, HyperParameterSpec, HyperParameterValue, SearchSpace, SearchSpaceBuilder } from '../../ml/api.ts';
import { mulberry32 } from '../../util/prng.ts';

export const searchSpaceBuilder: SearchSpaceBuilder = {
  choice: (values) => ({ type: 'choice', values }),
  int: (min, max, options) => ({ type: 'int', min, max, step: options?.step }),
  float: (min, max, options) => ({ type: 'float', min, max, log: options?.log }),
};

export function validateSpace(space: SearchSpace): void {
  if (!space || typeof space !== 'object' || Object.keys(space).length === 0) throw new UserError('tuner_fn returned an empty search_space');
  for (const [name, s] of Object.entries(space)) {
    const bad = (why: string) => new UserError(`search_space.${name}: ${why}`, { field: name });
    if (s.type === 'choice') {
      if (!Array.isArray(s.values) || s.values.length === 0) throw bad('choice needs at least one value');
    } else if (s.type === 'int' || s.type === 'float') {
      if (!Number.isFinite(s.min) || !Number.isFinite(s.max) || s.min > s.max) throw bad(`needs finite min <= max (got ${s.min}, ${s.max})`);
      if (s.type === 'float' && s.log && s.min <= 0) throw bad('a log range needs min > 0');
      if (s.type === 'int' && s.step !== undefined && !(s.step > 0)) throw bad('step must be > 0');
    } else {
      throw bad(`unknown type ${(s as { type: string }).type}`);
    }
  }
}

function gridValues(s: HyperParameterSpec, points: number): HyperParameterValue[] {
  if (s.type === 'choice') return s.values;
  if (s.type === 'int') {
    const step = s.step ?? 1;
    const out: number[] = [];
    for (let v = s.min; v <= s.max; v += step) out.push(v);
    return out;
  }
  if (s.min === s.max) return [s.min];
  return Array.from({ length: points }, (_, i) =>
    s.log ? Math.exp(Math.log(s.min) + ((Math.log(s.max) - Math.log(s.min)) * i) / (points - 1)) : s.min + ((s.max - s.min) * i) / (points - 1),
  );
}

/** Every combination, in declaration order (last parameter varies fastest), capped at `limit`. */
export function gridSearch(space: SearchSpace, points: number, limit: number): HyperParameters[] {
  let combos: HyperParameters[] = [{}];
  for (const [name, s] of Object.entries(space)) {
    const values = gridValues(s, points);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  return combos.slice(0, limit);
}

function sample(s: HyperParameterSpec, rand: () => number): HyperParameterValue {
  if (s.type === 'choice') return s.values[Math.floor(rand() * s.values.length)];
  if (s.type === 'int') {
    const step = s.step ?? 1;
    const n = Math.floor((s.max - s.min) / step) + 1;
    return s.min + step * Math.floor(rand() * n);
  }
  return s.log ? Math.exp(Math.log(s.min) + rand() * (Math.log(s.max) - Math.log(s.min))) : s.min + rand() * (s.max - s.min);
}

/** `n` seeded random configurations, without repeats where the space allows. */
export function randomSearch(space: SearchSpace, n: number, seed: number): HyperParameters[] {
  const rand = mulberry32(seed);
  const out: HyperParameters[] = [];
  const seen = new Set<string>();
  for (let tries = 0; out.length < n && tries < n * 50; tries++) {
    const hp = Object.fromEntries(Object.entries(space).map(([k, s]) => [k, sample(s, rand)]));
    const key = JSON.stringify(hp);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(hp);
  }
  return out;
}

/**
 * The median stopping rule (Google Vizier): stop a trial at `epoch` when its best objective so far
 * is worse than the median of the other trials' objectives at that epoch. Needs at least two
 * other trials to have reached the epoch, so early trials always run.
 */
export class MedianStopping {
  private readonly byEpoch = new Map<number, Map<number, number>>();
  private readonly best = new Map<number, number>();

  constructor(
    private readonly direction: 'min' | 'max',
    private readonly minEpochs: number,
  ) {}

  /** Records trial `trial`'s objective after `epoch` (0-based) and decides. */
  report(trial: number, epoch: number, value: number): 'continue' | 'stop' {
    const better = (a: number, b: number) => (this.direction === 'max' ? a > b : a < b);
    const prev = this.best.get(trial);
    const best = prev === undefined || better(value, prev) ? value : prev;
    this.best.set(trial, best);
    let at = this.byEpoch.get(epoch);
    if (!at) this.byEpoch.set(epoch, (at = new Map()));
    at.set(trial, best);
    if (epoch + 1 < this.minEpochs || !Number.isFinite(value)) return Number.isFinite(value) ? 'continue' : 'stop';
    const others = [...at.entries()].filter(([t]) => t !== trial).map(([, v]) => v).sort((a, b) => a - b);
    if (others.length < 2) return 'continue';
    const m = others.length % 2 ? others[(others.length - 1) / 2] : (others[others.length / 2 - 1] + others[others.length / 2]) / 2;
    return better(m, best) ? 'stop' : 'continue';
  }
}
