/** Count, mean and sum of squared deviations, merged with Chan et al.'s parallel update. */
export interface Moments {
  n: number;
  mean: number;
  /** Σ (x − mean)². */
  m2: number;
}

export function emptyMoments(): Moments {
  return { n: 0, mean: 0, m2: 0 };
}

/** Folds b into a (Chan, Golub, LeVeque 1979): stable even when the means are far apart. */
export function mergeMoments(a: Moments, b: Moments): void {
  if (b.n === 0) return;
  if (a.n === 0) {
    a.n = b.n;
    a.mean = b.mean;
    a.m2 = b.m2;
    return;
  }
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  a.mean += (delta * b.n) / n;
  a.m2 += b.m2 + ((delta * delta * a.n) / n) * b.n;
  a.n = n;
}

/** Population standard deviation, as TFDV reports it. */
export function stdDev(m: Moments): number {
  return m.n > 0 ? Math.sqrt(Math.max(0, m.m2) / m.n) : 0;
}
