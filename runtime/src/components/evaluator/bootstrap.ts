/**
 * Poisson bootstrap (as TFMA computes confidence intervals): instead of drawing n rows with
 * replacement, every row gets an independent Poisson(1) weight per resample. The weights of
 * different rows are independent, so a resample can be accumulated row by row on any shard and
 * merged like any other sum — what a multinomial draw over the whole data cannot do.
 *
 * For a histogram (the threshold grid), the resampled count of a bucket is a sum of Poisson(1)
 * weights over the rows in it, i.e. exactly Poisson(count): the merged histogram is resampled at
 * the end, bucket by bucket, with the same distribution as row-by-row weights and no per-row cost.
 */
import { mulberry32 } from '../../util/prng.ts';
import { quantileSorted, type Interval } from '../../ml/metrics.ts';

export type Random = () => number;

/** Cumulative Poisson(1) probabilities P(K ≤ k), for inverse-CDF draws. */
const POISSON1_CDF: Float64Array = (() => {
  const out = new Float64Array(20);
  let p = Math.exp(-1);
  let acc = 0;
  for (let k = 0; k < out.length; k++) {
    acc += p;
    out[k] = acc;
    p /= k + 1;
  }
  out[out.length - 1] = 1;
  return out;
})();

/** One Poisson(1) draw. */
export function poisson1(random: Random): number {
  const u = random();
  let k = 0;
  while (u > POISSON1_CDF[k]) k++;
  return k;
}

const LOG_FACTORIAL = (() => {
  const t = new Float64Array(256);
  for (let k = 1; k < t.length; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();

function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL.length) return LOG_FACTORIAL[k];
  // Stirling's series; error < 1e-10 from k = 256 on.
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/**
 * One Poisson(lambda) draw: multiplication of uniforms for small means, Hörmann's PTRS
 * (transformed rejection with squeeze, as numpy uses) from 10 on. Both are exact samplers.
 */
export function poisson(lambda: number, random: Random): number {
  if (lambda <= 0) return 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = random(); p > limit; p *= random()) k++;
    return k;
  }
  const slam = Math.sqrt(lambda);
  const logLam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random() - 0.5;
    const v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -lambda + k * logLam - logFactorial(k)) return k;
  }
}

/**
 * The random stream of one shard: a function of the run's seed and the shard's position in the
 * plan only, so resamples do not depend on the worker count or on which process scans the shard.
 */
export function shardRandom(seed: number, shard: number): Random {
  return mulberry32((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(shard + 1, 0xc2b2ae35)) >>> 0);
}

/** Percentile intervals per statistic from resampled values (non-finite resamples dropped). */
export function percentileIntervals(samples: Map<string, number[]>, level = 0.95): Record<string, Interval> {
  const out: Record<string, Interval> = {};
  const alpha = (1 - level) / 2;
  for (const [name, values] of samples) {
    const finite = values.filter(Number.isFinite).sort((x, y) => x - y);
    if (finite.length) out[name] = [quantileSorted(finite, alpha), quantileSorted(finite, 1 - alpha)];
  }
  return out;
}
