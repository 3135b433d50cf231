/** `tributary serve`: runs a ModelServer (or `workers` of them, cluster.ts) until SIGINT/SIGTERM and announces readiness on stdout. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { useInferenceBackend } from '../ml/backend.ts';
import { DRAIN_MS, ModelServer, type ServerOptions } from './server.ts';
import { writeServerRecord } from './server-records.ts';
import { isClusterWorker, runClusterPrimary, runClusterWorker } from './cluster.ts';
import { autoServeWorkers } from './serve-workers.ts';


export interface ServeOptions extends ServerOptions {
  /** Print one JSON line {"ready":true,...} when listening (the InfraValidator reads it). */
  readyLine?: boolean;
  /** Server processes on the port (default 1 here; the CLI's default is `auto`, serve-workers.ts). */
  workers?: number;
}

/** `--workers auto` (or nothing): one server process per core but one (serve-workers.ts says why). */
export function parseServeWorkers(value: string | undefined): number {
  if (value === undefined || value === 'auto') return autoServeWorkers();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--workers must be a whole number ≥ 1 or "auto", got "${value}"`);
  return n;
}

export async function serve(registry: string, options: ServeOptions = {}): Promise<ModelServer | undefined> {
  const started = performance.now();
  const dir = resolve(registry);
  if (!existsSync(dir)) throw new UserError(`Model registry ${dir} does not exist`, { file: dir });
  const workers = options.workers ?? 1;
  // Where models load (a worker, or the one process): wasm, as the Evaluator predicts. Its
  // predict costs a fraction of the pure-JS cpu backend's per row (about 1/10 at 512 rows), which
  // is what a 10,000-row request or a full batch spends; a row's prediction does not depend on
  // the batch it is in on either backend (test/serving/batching.test.ts).
  const backend = workers > 1 && !isClusterWorker() ? undefined : await useInferenceBackend();
  if (isClusterWorker()) {
    const index = process.env.TRIBUTARY_SERVE_WORKER ?? '?';
    const log = options.log;
    return runClusterWorker(dir, { ...options, log: log && ((line) => log(`[worker ${index}] ${line}`)) }, backend!);
  }
  let address: { host: string; port: number; backend?: string };
  let close: () => Promise<void>;
  let server: ModelServer | undefined;
  if (workers > 1) {
    const cluster = await runClusterPrimary({ ...options, workers, log: options.log ?? ((line) => process.stderr.write(`${line}\n`)) });
    address = cluster;
    close = cluster.stop;
  } else {
    server = new ModelServer(dir, options);
    address = { ...(await server.start()), backend };
    close = () => server!.close(DRAIN_MS);
  }
  const readyMs = Math.round(performance.now() - started);
  // Other windows and tools find this server through its record (server-records.ts), written
  // before the ready line so that whoever reads the line finds the record too.
  const removeRecord = writeServerRecord(dir, address, (line) => process.stderr.write(`warning: ${line}\n`));
  process.once('exit', removeRecord);
  if (options.readyLine) {
    process.stdout.write(`${JSON.stringify({ ready: true, host: address.host, port: address.port, readyMs, workers, backend: address.backend })}\n`);
  } else {
    const processes = workers > 1 ? `, ${workers} worker processes` : '';
    process.stdout.write(`Serving ${dir} at http://${address.host}:${address.port}/v1/models on ${address.backend} (ready in ${readyMs} ms${processes})\n`);
  }
  // Requests in flight are answered before the process exits (drained up to DRAIN_MS), as a
  // load balancer's SIGTERM expects; new connections are refused at once.
  const stop = () => {
    removeRecord();
    void close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Started by a parent with an IPC channel (the InfraValidator): exit with it, however it ends.
  if (process.channel) {
    process.once('disconnect', stop);
    process.channel.unref();
  }
  return server;
}
