/**
 * The model server's `/metrics` (Prometheus text exposition format 0.0.4) read back into
 * per-version numbers for the Models view: requests, errors and latency quantiles estimated from
 * the histogram buckets the way Prometheus' `histogram_quantile` does. No `vscode` here.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?[0-9]+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(raw: string): number {
  if (raw === '+Inf' || raw === 'Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  const n = Number(raw);
  return raw !== '' && !Number.isNaN(n) ? n : NaN;
}

/** Every sample of an exposition; a malformed line is an error that names its line number. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    const value = m ? parseValue(m[3]) : NaN;
    if (!m || (Number.isNaN(value) && m[3] !== 'NaN')) throw new Error(`/metrics line ${i + 1}: not "name{labels} value": ${line.slice(0, 120)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const at = LABEL.lastIndex;
      const l = LABEL.exec(body);
      if (!l || LABEL.lastIndex === at) throw new Error(`/metrics line ${i + 1}: bad labels {${body.slice(0, 120)}}`);
      labels[l[1]] = unescape(l[2]);
      if (l[3] === '') break;
    }
    samples.push({ name: m[1], labels, value });
  });
  return samples;
}

export interface Bucket {
  /** Upper bound in seconds (Infinity for +Inf). */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

export interface VersionStats {
  model: string;
  version: number;
  requests: number;
  errors: number;
  /** Requests per traffic arm ("" = the request named the version or label, or no split). */
  byArm: Record<string, number>;
  latencySumSeconds: number;
  /** Cumulative, ascending by le, summed over arms. */
  buckets: Bucket[];
  /** Seconds; undefined before the first request. */
  p50?: number;
  p95?: number;
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus estimates it: linear interpolation
 * inside the bucket holding rank q·total (lower bound 0 for the first bucket); a rank in the +Inf
 * bucket gives the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0 || q < 0 || q > 1) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of sorted) {
    if (b.count >= rank && b.count > below) {
      if (b.le === Infinity) return lower;
      return lower + ((b.le - lower) * (rank - below)) / (b.count - below);
    }
    lower = b.le === Infinity ? lower : b.le;
    below = b.count;
  }
  return lower;
}

const key = (model: string, version: number | string) => `${model}\u0000${version}`;

/** Per model version (summed over arms), keyed by `statsKey(model, version)`. */
export function servingStats(samples: readonly Sample[]): Map<string, VersionStats> {
  const out = new Map<string, VersionStats>();
  const entry = (s: Sample): VersionStats | undefined => {
    const { model, version } = s.labels;
    const v = Number(version);
    if (!model || !Number.isInteger(v)) return undefined;
    const k = key(model, v);
    let e = out.get(k);
    if (!e) out.set(k, (e = { model, version: v, requests: 0, errors: 0, byArm: {}, latencySumSeconds: 0, buckets: [] }));
    return e;
  };
  for (const s of samples) {
    if (!s.name.startsWith('tributary_predict_')) continue;
    const e = entry(s);
    if (!e) continue;
    switch (s.name) {
      case 'tributary_predict_requests_total': {
        e.requests += s.value;
        const arm = s.labels.arm ?? '';
        e.byArm[arm] = (e.byArm[arm] ?? 0) + s.value;
        break;
      }
      case 'tributary_predict_errors_total':
        e.errors += s.value;
        break;
      case 'tributary_predict_latency_seconds_sum':
        e.latencySumSeconds += s.value;
        break;
      case 'tributary_predict_latency_seconds_bucket': {
        const le = parseValue(s.labels.le ?? '');
        if (Number.isNaN(le)) break;
        const b = e.buckets.find((x) => x.le === le);
        if (b) b.count += s.value;
        else e.buckets.push({ le, count: s.value });
        break;
      }
    }
  }
  for (const e of out.values()) {
    e.buckets.sort((a, b) => a.le - b.le);
    e.p50 = histogramQuantile(0.5, e.buckets);
    e.p95 = histogramQuantile(0.95, e.buckets);
  }
  return out;
}

export const statsKey = (model: string, version: number) => key(model, version);

/** `/metrics` text → per-version stats. */
export function statsFromMetricsText(text: string): Map<string, VersionStats> {
  return servingStats(parsePrometheusText(text));
}
