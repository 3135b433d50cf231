/**
 * Dynamic batching, as TF Serving's: concurrent predicts for one model version are joined into one
 * model predict of at most `maxBatchSize` rows, and the predictions are split back per request.
 * Every row's prediction is computed exactly as alone (each layer is row-wise), so batching is
 * bit-identical to unbatched serving (test/serving/batching.test.ts checks it).
 *
 * When a batch runs: as soon as it is full; else once no other predict request is still being
 * read (waiting longer only adds latency: nothing more is known to be coming); else after
 * `timeoutMs` from its oldest request. A lone client therefore pays no wait at all, while requests
 * arriving together (many clients) share one predict.
 *
 * Large requests are cut: each batch takes rows from the requests that have been served least so
 * far (new ones first), and the event loop gets a turn between two batches, so a 10,000-row request
 * advances `maxBatchSize` rows at a time while small requests keep getting into every batch.
 */
import type { Predictions } from './model-source.ts';

type Row = Record<string, unknown>;
export type RowPrediction = number | number[];

export interface BatcherOptions {
  maxBatchSize: number;
  timeoutMs: number;
  /** Predict requests read but not yet submitted (to any batcher): more may join a batch soon. */
  arriving: () => number;
}

interface Job {
  rows: Row[];
  /** Rows already predicted (or taken into the running batch). */
  taken: number;
  out: RowPrediction[];
  enqueuedAt: number;
  failed?: Error;
  resolve: (p: RowPrediction[]) => void;
  reject: (e: Error) => void;
}

export class PredictBatcher {
  private jobs: Job[] = [];
  private immediate?: NodeJS.Immediate;
  private timer?: NodeJS.Timeout;
  /** Batches run so far and rows in them (tests and /metrics read them). */
  batches = 0;
  batchedRows = 0;

  constructor(
    private readonly predict: (rows: Row[]) => Predictions,
    private readonly opts: BatcherOptions,
  ) {}

  submit(rows: Row[]): Promise<RowPrediction[]> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ rows, taken: 0, out: new Array(rows.length), enqueuedAt: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Decides at the end of this event-loop turn, when every request read in it has joined. */
  private schedule(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.tick();
    });
  }

  private tick(): void {
    if (this.jobs.length === 0) return;
    const waiting = this.jobs.reduce((n, j) => n + j.rows.length - j.taken, 0);
    const waited = performance.now() - Math.min(...this.jobs.map((j) => j.enqueuedAt));
    if (waiting < this.opts.maxBatchSize && this.opts.arriving() > 0 && waited < this.opts.timeoutMs) {
      // More requests are being read: give them until the oldest one's timeout.
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.runBatch();
      }, this.opts.timeoutMs - waited);
      return;
    }
    this.runBatch();
  }

  private runBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.jobs.length === 0) return;
    // Least-served first (stable, so arrival order among equals): a big request cannot crowd out new ones.
    const order = [...this.jobs].sort((a, b) => a.taken - b.taken);
    const parts: { job: Job; from: number; to: number }[] = [];
    let space = this.opts.maxBatchSize;
    for (const job of order) {
      if (space === 0) break;
      const n = Math.min(space, job.rows.length - job.taken);
      parts.push({ job, from: job.taken, to: job.taken + n });
      job.taken += n;
      space -= n;
    }
    const rows = parts.length === 1 ? parts[0].job.rows.slice(parts[0].from, parts[0].to) : parts.flatMap((p) => p.job.rows.slice(p.from, p.to));
    this.batches++;
    this.batchedRows += rows.length;
    try {
      const predictions = this.predict(rows);
      let at = 0;
      for (const p of parts) {
        for (let i = p.from; i < p.to; i++) p.job.out[i] = predictions[at++];
      }
    } catch (e) {
      // One request's bad value must not fail the others: predict each part alone to find it.
      if (parts.length === 1) parts[0].job.failed = e as Error;
      else {
        for (const p of parts) {
          try {
            const own = this.predict(p.job.rows.slice(p.from, p.to));
            for (let i = p.from; i < p.to; i++) p.job.out[i] = own[i - p.from];
          } catch (err) {
            p.job.failed ??= err as Error;
          }
        }
      }
    }
    for (const p of parts) {
      const job = p.job;
      if (!job.failed && job.taken < job.rows.length) continue;
      this.jobs.splice(this.jobs.indexOf(job), 1);
      if (job.failed) job.reject(job.failed);
      else job.resolve(job.out);
    }
    // The rest after the event loop has had a turn (new requests join the next batch).
    if (this.jobs.length > 0) this.schedule();
  }

  /** Fails what is queued (the server is closing). */
  close(): void {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    for (const job of this.jobs.splice(0)) job.reject(new Error('the server is shutting down'));
  }
}
