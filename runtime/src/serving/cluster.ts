/**
 * `tributary serve --workers N`: N server processes on one port through node:cluster. Each worker
 * is a whole ModelServer (HTTP, JSON, batching, model predict) with the models loaded once per
 * worker; the primary only hands out connections, sums /metrics and writes the prediction log.
 * Why processes and not worker threads: with threads, one thread would still parse every request's
 * HTTP and JSON and pass rows across (a copy each way) — at thousands of small requests a second
 * that thread is the bottleneck; processes scale the whole request path, and a worker that dies
 * takes only its own connections with it (the primary starts another).
 *
 *   worker → primary  {t:'ready'}                      listening, models loaded
 *                     {t:'log', records}               prediction records (one writer keeps rotation whole)
 *                     {t:'metrics?', id}               a GET /metrics came in: the sum of all workers, please
 *                     {t:'snapshot', id, series}       this worker's counters, for a sum
 *   primary → worker  {t:'snapshot?', id} / {t:'metrics', id, text}
 *
 * Each worker watches the registry itself, so hot reload, labels and traffic splits reach all of
 * them; sticky keys hash to the same arm in any worker. SIGTERM/SIGINT to the primary stops every
 * worker the way a single server stops (its in-flight requests are answered), then the primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { DRAIN_MS, ModelServer, type PredictionSink, type ServerOptions } from './server.ts';
import { type MetricsSnapshot, ServingMetrics } from './metrics.ts';
import { PredictionLog } from './prediction-log.ts';
import type { PredictionRecord } from './prediction-record.ts';

type ToPrimary =
  | { t: 'ready'; host: string; port: number; backend: string }
  | { t: 'log'; records: PredictionRecord[] }
  | { t: 'metrics?'; id: number }
  | { t: 'snapshot'; id: number; series: MetricsSnapshot };
type ToWorker = { t: 'snapshot?'; id: number } | { t: 'metrics'; id: number; text: string };

const send = (message: ToPrimary, done?: () => void) => process.send!(message, undefined, {}, () => done?.());

/** Prediction records of a worker, sent to the primary once per event-loop turn. */
class ForwardingSink implements PredictionSink {
  private buffer: PredictionRecord[] = [];
  private flushing?: NodeJS.Immediate;
  private lastSend = Promise.resolve();

  write(record: PredictionRecord): void {
    this.buffer.push(record);
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushing = undefined;
    if (this.buffer.length === 0 || !process.connected) return;
    const records = this.buffer;
    this.buffer = [];
    this.lastSend = new Promise((resolve) => send({ t: 'log', records }, resolve));
  }

  close(): Promise<void> {
    if (this.flushing) clearImmediate(this.flushing);
    this.flush();
    return this.lastSend;
  }
}

/** In a cluster worker: one ModelServer whose /metrics and prediction log go through the primary. */
export async function runClusterWorker(registry: string, options: ServerOptions, backend: string): Promise<ModelServer> {
  const asked = new Map<number, (text: string) => void>();
  let nextId = 0;
  const server: ModelServer = new ModelServer(registry, {
    ...options,
    worker: process.env.TRIBUTARY_SERVE_WORKER,
    predictionLog: undefined,
    predictionSink: options.predictionLog ? new ForwardingSink() : undefined,
    renderMetrics: () =>
      new Promise((resolve) => {
        const id = nextId++;
        asked.set(id, resolve);
        send({ t: 'metrics?', id });
      }),
  });
  process.on('message', (m: ToWorker) => {
    if (m.t === 'snapshot?') send({ t: 'snapshot', id: m.id, series: server.metrics.snapshot() });
    else if (m.t === 'metrics') {
      asked.get(m.id)?.(m.text);
      asked.delete(m.id);
    }
  });
  const address = await server.start();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.close(DRAIN_MS).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop); // the primary is gone
  send({ t: 'ready', host: address.host, port: address.port, backend });
  return server;
}

export interface ClusterHandle {
  host: string;
  port: number;
  workers: number;
  /** The tfjs backend the workers predict on. */
  backend: string;
  /** Stops every worker (each answers its in-flight requests), then closes the prediction log. */
  stop(): Promise<void>;
}

/** In the primary: forks `workers` servers (this same program, re-run) and resolves when all are ready. */
export function runClusterPrimary(options: ServerOptions & { workers: number; log: (line: string) => void }): Promise<ClusterHandle> {
  const predictionLog = options.predictionLog ? new PredictionLog(options.predictionLog, options.predictionLogRotation) : undefined;
  const live = new Set<Worker>();
  let stopping = false;
  let snapshotId = 0;
  const gathering = new Map<number, { want: Set<Worker>; sum: ServingMetrics; done: () => void }>();

  /** Asks every live worker for its counters; a worker that does not answer within 2 s is left out. */
  const sumMetrics = async (): Promise<string> => {
    const id = snapshotId++;
    const sum = new ServingMetrics();
    await new Promise<void>((resolve) => {
      const want = new Set(live);
      const timer = setTimeout(resolve, 2000);
      gathering.set(id, {
        want,
        sum,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const w of want) w.send({ t: 'snapshot?', id } satisfies ToWorker);
      if (want.size === 0) resolve();
    });
    gathering.delete(id);
    return sum.render();
  };

  return new Promise((resolve, reject) => {
    let ready = 0;
    let address: { host: string; port: number; backend: string } | undefined;
    const fork = (index: number): Worker => {
      const worker = cluster.fork({ TRIBUTARY_SERVE_WORKER: String(index) });
      let isReady = false;
      worker.on('message', (m: ToPrimary) => {
        if (m.t === 'ready') {
          isReady = true;
          live.add(worker);
          address = { host: m.host, port: m.port, backend: m.backend };
          if (++ready === options.workers) resolve({ ...address, workers: options.workers, stop });
        } else if (m.t === 'log') {
          for (const r of m.records) predictionLog?.write(r);
        } else if (m.t === 'metrics?') {
          void sumMetrics().then((text) => worker.isConnected() && worker.send({ t: 'metrics', id: m.id, text } satisfies ToWorker));
        } else if (m.t === 'snapshot') {
          const g = gathering.get(m.id);
          if (!g) return;
          g.sum.add(m.series);
          g.want.delete(worker);
          if (g.want.size === 0) g.done();
        }
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        for (const g of gathering.values()) if (g.want.delete(worker) && g.want.size === 0) g.done();
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (isReady && code === 0 && !signal) {
          // It stopped cleanly, so it was told to (a Ctrl-C reaches the whole process group).
          if (live.size === 0) void stop().then(() => process.exit(0));
          return;
        }
        if (!isReady) {
          // A worker that cannot start will not start on a retry either.
          void stop().then(() => reject(new Error(`server worker ${index} exited before it was ready (${how})`)));
          return;
        }
        options.log(`server worker ${index} exited (${how}); starting another`);
        fork(index);
      });
      return worker;
    };
    const stop = async (): Promise<void> => {
      stopping = true;
      const exits = [...Object.values(cluster.workers ?? {})].filter((w): w is Worker => !!w && !w.isDead()).map(
        (w) =>
          new Promise<void>((done) => {
            const kill = setTimeout(() => w.process.kill('SIGKILL'), 30_000);
            w.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            w.process.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
      await predictionLog?.close();
    };
    for (let i = 1; i <= options.workers; i++) fork(i);
  });
}

export const isClusterWorker = () => cluster.isWorker;
