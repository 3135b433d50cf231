/**
 * Per model version: predict requests, errors and a latency histogram, and the batches dynamic
 * batching ran (their count and rows: rows ÷ batches is the mean batch size, which says whether
 * batching joins requests under the present load), rendered in Prometheus' text exposition format
 * (version 0.0.4) for GET /metrics.
 */

/** Upper bounds in seconds: 1 ms to 10 s, the range single-row and batch predicts fall in. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: { model: string; version: string; arm: string };
  requests: number;
  errors: number;
  /** Non-cumulative counts per bucket, the last one +Inf. */
  buckets: number[];
  sum: number;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

interface BatchSeries {
  labels: { model: string; version: string };
  batches: number;
  rows: number;
}

/** The plain-data form of a ServingMetrics: what a cluster worker sends for /metrics to be summed. */
export interface MetricsSnapshot {
  series: Series[];
  batches: BatchSeries[];
}

export class ServingMetrics {
  private readonly series = new Map<string, Series>();
  private readonly batches = new Map<string, BatchSeries>();

  snapshot(): MetricsSnapshot {
    return {
      series: [...this.series.values()].map((s) => ({ ...s, labels: { ...s.labels }, buckets: [...s.buckets] })),
      batches: [...this.batches.values()].map((b) => ({ ...b, labels: { ...b.labels } })),
    };
  }

  /** Adds another process's counts (the sum over cluster workers is what /metrics shows). */
  add(snapshot: MetricsSnapshot): this {
    for (const b of snapshot.batches) {
      const mine = this.batchesOf(b.labels.model, b.labels.version);
      mine.batches += b.batches;
      mine.rows += b.rows;
    }
    for (const s of snapshot.series) {
      const mine = this.seriesOf(s.labels.model, s.labels.version, s.labels.arm);
      mine.requests += s.requests;
      mine.errors += s.errors;
      mine.sum += s.sum;
      s.buckets.forEach((n, i) => (mine.buckets[i] += n));
    }
    return this;
  }

  private seriesOf(model: string, version: string, arm: string): Series {
    // NUL cannot occur in a model folder's name or a version number, so the key is unambiguous.
    const key = `${model}\0${version}\0${arm}`;
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { model, version, arm }, requests: 0, errors: 0, buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  private batchesOf(model: string, version: string): BatchSeries {
    const key = `${model}\0${version}`;
    let b = this.batches.get(key);
    if (!b) {
      b = { labels: { model, version }, batches: 0, rows: 0 };
      this.batches.set(key, b);
    }
    return b;
  }

  /** One predict that dynamic batching ran for a model version, of `rows` rows. */
  observeBatch(model: string, version: number, rows: number): void {
    const b = this.batchesOf(model, String(version));
    b.batches++;
    b.rows += rows;
  }

  /** `arm`: the traffic arm that chose the version, or "" when the request named it (or no split). */
  observe(model: string, version: number, arm: string, seconds: number, ok: boolean): void {
    const s = this.seriesOf(model, String(version), arm);
    s.requests++;
    if (!ok) s.errors++;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    s.buckets[i]++;
    s.sum += seconds;
  }

  render(): string {
    const all = [...this.series.values()].sort((a, b) => (a.labels.model + a.labels.version + a.labels.arm).localeCompare(b.labels.model + b.labels.version + b.labels.arm));
    const fmt = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
    const lines: string[] = [
      '# HELP tributary_predict_requests_total Predict requests answered, by model version and traffic arm.',
      '# TYPE tributary_predict_requests_total counter',
      ...all.map((s) => `tributary_predict_requests_total${fmt(s.labels)} ${s.requests}`),
      '# HELP tributary_predict_errors_total Predict requests answered with an error status.',
      '# TYPE tributary_predict_errors_total counter',
      ...all.map((s) => `tributary_predict_errors_total${fmt(s.labels)} ${s.errors}`),
      '# HELP tributary_predict_latency_seconds Predict latency from request body read to response.',
      '# TYPE tributary_predict_latency_seconds histogram',
    ];
    for (const s of all) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((b, i) => {
        cumulative += s.buckets[i];
        lines.push(`tributary_predict_latency_seconds_bucket${fmt({ ...s.labels, le: String(b) })} ${cumulative}`);
      });
      cumulative += s.buckets[LATENCY_BUCKETS.length];
      lines.push(`tributary_predict_latency_seconds_bucket${fmt({ ...s.labels, le: '+Inf' })} ${cumulative}`);
      lines.push(`tributary_predict_latency_seconds_sum${fmt(s.labels)} ${s.sum}`);
      lines.push(`tributary_predict_latency_seconds_count${fmt(s.labels)} ${s.requests}`);
    }
    const batches = [...this.batches.values()].sort((a, b) => (a.labels.model + a.labels.version).localeCompare(b.labels.model + b.labels.version));
    if (batches.length) {
      lines.push(
        '# HELP tributary_batches_total Predicts run by dynamic batching, by model version.',
        '# TYPE tributary_batches_total counter',
        ...batches.map((b) => `tributary_batches_total${fmt(b.labels)} ${b.batches}`),
        '# HELP tributary_batched_rows_total Rows in those predicts (÷ batches: the mean batch size).',
        '# TYPE tributary_batched_rows_total counter',
        ...batches.map((b) => `tributary_batched_rows_total${fmt(b.labels)} ${b.rows}`),
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
