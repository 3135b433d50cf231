/**
 * The model server: TF Serving's REST API over a model registry folder (see registry-index.ts).
 *
 *   GET  /v1/models                                   (ours) every model with versions and labels
 *   GET  /v1/models/{m}[/versions/{v}|/labels/{l}]    model_version_status
 *   GET  /v1/models/{m}[/versions/{v}]/metadata       signature: raw input features, outputs
 *   POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict
 *        {"instances": [{feature: value, ...}, ...]}  → {"predictions": [...]}
 *        {"inputs": {feature: [values...], ...}}      → {"outputs": [...]}
 *
 * Raw features in: the bundle applies its transform graph. Without a version or label the newest
 * version answers. New versions pushed into the registry are picked up by fs.watch plus a periodic
 * rescan (watch events can be lost or coalesced). Bad requests get a 4xx and {"error": message}.
 */
import { type FSWatcher, watch } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { listModels, listVersions, readIndex } from './registry-index.ts';
import { openModel, type BundleInfo, type ServableModel } from './model-source.ts';
import { ServingMetrics } from './metrics.ts';
import { PredictionLog, type PredictionLogOptions } from './prediction-log.ts';
import { armVersion, chooseArm, parseTraffic, requestKey } from './traffic.ts';
import { type TrafficConfig } from './registry-index.ts';
import { labelRawFeatures } from '../ml/bundle.ts';
import { PredictBatcher, type RowPrediction } from './batcher.ts';
import { warmupBodies } from './warmup.ts';
import { SCHED_HEADER, type SchedReport, type SchedTimes, threadSchedTimes } from '../util/schedstat.ts';

export interface ServerOptions {
  port?: number;
  host?: string;
  /** Largest request body accepted (bytes). */
  maxBodyBytes?: number;
  /** Most instances in one predict request. */
  maxInstances?: number;
  /** Periodic rescan of the registry (ms); 0 turns it off. */
  rescanMs?: number;
  log?: (line: string) => void;
  /** Test-only: delay every predict by this many ms (the InfraValidator's slow-model fixture). */
  predictDelayMs?: number;
  /** Log every predict (request, predictions, version, arm) to this file: JSON lines, or Arrow for a .arrow file. */
  predictionLog?: string;
  /** Size-based rotation (default 100 MiB, 5 rotated files kept) and format of the prediction log. */
  predictionLogRotation?: PredictionLogOptions;
  /** Where prediction records go instead of a file of this process (a cluster worker sends them to the primary). */
  predictionSink?: PredictionSink;
  /** Dynamic batching (batcher.ts): most rows in one predict (default 32); 0 turns batching off. */
  maxBatchSize?: number;
  /** The longest a batch waits for requests still being read (default 1 ms). */
  batchTimeoutMs?: number;
  /** GET /metrics text instead of this process's own (a cluster worker asks the primary for all workers' sum). */
  renderMetrics?: () => Promise<string>;
  /** A cluster worker's number, sent back in an x-tributary-worker header. */
  worker?: string;
  /** Predicts run on each loaded version before it answers requests (warmup.ts); 0 turns it off. */
  warmupRequests?: number;
  /** The longest a version's warm-up may take (ms): it stops there however many predicts it ran. */
  warmupMaxMs?: number;
}

/** What the server writes prediction records to: a PredictionLog, or a forwarder to one. */
export type PredictionSink = Pick<PredictionLog, 'write' | 'close'>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface VersionEntry {
  /** The model's name. */
  name: string;
  version: number;
  dir: string;
  loading?: Promise<ServableModel>;
  model?: ServableModel;
  batcher?: PredictBatcher;
  error?: string;
}

interface ModelEntry {
  name: string;
  versions: Map<number, VersionEntry>;
  labels: Record<string, number>;
  /** A/B split from the index (hot-reloaded with the labels). */
  traffic?: TrafficConfig;
}

export const DEFAULT_MAX_BATCH_SIZE = 32;
export const DEFAULT_BATCH_TIMEOUT_MS = 1;
export const DEFAULT_WARMUP_REQUESTS = 1000;
/** A bound on a version's warm-up, so that a slow model or a busy machine delays readiness by at most this much. */
export const DEFAULT_WARMUP_MAX_MS = 1000;

/** How long a stopping server lets requests in flight finish before it cuts them. */
export const DRAIN_MS = 10_000;

export class ModelServer {
  private readonly models = new Map<string, ModelEntry>();
  private server?: Server;
  private watchers: FSWatcher[] = [];
  private timer?: NodeJS.Timeout;
  private rescanning?: Promise<void>;
  private rescanAgain = false;
  private readonly opts: Required<Omit<ServerOptions, 'log' | 'predictionLog' | 'predictionLogRotation' | 'predictionSink' | 'renderMetrics' | 'worker'>> & { log: (line: string) => void };
  readonly metrics = new ServingMetrics();
  private readonly predictionLog?: PredictionSink;
  private readonly renderMetrics: () => Promise<string>;
  private readonly worker?: string;
  /** Scheduler counters when a timed request arrived (SCHED_HEADER), until it is answered. */
  private readonly schedStart = new WeakMap<ServerResponse, SchedTimes>();
  /** Predict requests whose body is being read: the batcher waits for them (batcher.ts). */
  private arriving = 0;

  constructor(
    readonly registry: string,
    options: ServerOptions = {},
  ) {
    this.opts = {
      port: options.port ?? 8501,
      host: options.host ?? '127.0.0.1',
      maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
      maxInstances: options.maxInstances ?? 10_000,
      rescanMs: options.rescanMs ?? 2000,
      predictDelayMs: options.predictDelayMs ?? 0,
      maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
      batchTimeoutMs: options.batchTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS,
      warmupRequests: options.warmupRequests ?? DEFAULT_WARMUP_REQUESTS,
      warmupMaxMs: options.warmupMaxMs ?? DEFAULT_WARMUP_MAX_MS,
      log: options.log ?? (() => undefined),
    };
    this.predictionLog = options.predictionSink ?? (options.predictionLog ? new PredictionLog(options.predictionLog, options.predictionLogRotation) : undefined);
    this.renderMetrics = options.renderMetrics ?? (() => Promise.resolve(this.metrics.render()));
    this.worker = options.worker;
  }

  /** Loads the newest version of every model, then listens. Resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    await this.rescan();
    this.server = createServer((req, res) => {
      if (this.worker) res.setHeader('x-tributary-worker', this.worker);
      const start = req.headers[SCHED_HEADER] !== undefined ? threadSchedTimes() : undefined;
      if (start) this.schedStart.set(res, start);
      this.handle(req, res).catch((e) => this.send(res, 500, { error: `internal error: ${(e as Error).message}` }));
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.watch();
    if (this.opts.rescanMs > 0) {
      this.timer = setInterval(() => void this.scheduleRescan(), this.opts.rescanMs);
      this.timer.unref();
    }
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /**
   * Stops the server. With `drainMs`, it drains first: stops accepting, closes idle keep-alive
   * connections, lets requests in flight finish, and only past the deadline cuts what is left.
   */
  async close(drainMs = 0): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.server) {
      const server = this.server;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Connections that go idle once their response is sent are closed as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 20);
      const deadline = setTimeout(() => server.closeAllConnections(), drainMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(deadline);
    }
    await this.rescanning;
    await this.predictionLog?.close();
    for (const m of this.models.values()) for (const v of m.versions.values()) this.unload(v);
    this.models.clear();
  }

  private watch(): void {
    const add = (dir: string) => {
      try {
        const w = watch(dir, () => void this.scheduleRescan());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // The periodic rescan still covers it.
      }
    };
    add(this.registry);
    for (const m of listModels(this.registry)) add(join(this.registry, m));
  }

  /** Coalesces bursts of watch events into one rescan at a time. */
  scheduleRescan(): Promise<void> {
    if (this.rescanning) {
      this.rescanAgain = true;
      return this.rescanning;
    }
    this.rescanning = (async () => {
      try {
        do {
          this.rescanAgain = false;
          await this.rescan();
        } while (this.rescanAgain);
      } finally {
        this.rescanning = undefined;
      }
    })();
    return this.rescanning;
  }

  /** Syncs the in-memory view with the registry; loads each model's newest and labelled versions. */
  async rescan(): Promise<void> {
    const seen = new Set<string>();
    const newModelDirs: string[] = [];
    for (const name of listModels(this.registry)) {
      seen.add(name);
      let entry = this.models.get(name);
      if (!entry) {
        entry = { name, versions: new Map(), labels: {} };
        this.models.set(name, entry);
        if (this.server) newModelDirs.push(join(this.registry, name));
      }
      const versions = listVersions(this.registry, name);
      for (const v of versions) {
        if (!entry.versions.has(v)) {
          entry.versions.set(v, { name, version: v, dir: join(this.registry, name, String(v)) });
          this.opts.log(`found ${name} version ${v}`);
        }
      }
      for (const [v, e] of entry.versions) {
        if (!versions.includes(v)) {
          this.unload(e);
          entry.versions.delete(v);
          this.opts.log(`${name} version ${v} removed`);
        }
      }
      try {
        const index = readIndex(this.registry, name);
        entry.labels = index.labels;
        entry.traffic = parseTraffic(index.traffic, join(this.registry, name, 'index.json'));
      } catch (e) {
        this.opts.log((e as Error).message);
      }
      const armVersions = Object.keys(entry.traffic?.weights ?? {}).map((arm) => armVersion(arm, entry.labels));
      const eager = new Set([versions.at(-1), ...Object.values(entry.labels), ...armVersions]);
      await Promise.all([...eager].filter((v) => v !== undefined && entry.versions.has(v)).map((v) => this.load(entry.versions.get(v!)!).catch(() => undefined)));
    }
    for (const name of [...this.models.keys()]) if (!seen.has(name)) this.models.delete(name);
    for (const dir of newModelDirs) {
      try {
        const w = watch(dir, () => void this.scheduleRescan());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // Periodic rescan covers it.
      }
    }
  }

  private unload(v: VersionEntry): void {
    v.batcher?.close();
    v.model?.dispose();
  }

  private load(v: VersionEntry): Promise<ServableModel> {
    v.loading ??= openModel(v.dir).then(
      async (m) => {
        const warm = await this.warmUp(v, m);
        // Only now does the version answer requests (those that came meanwhile waited on `loading`).
        v.model = m;
        this.opts.log(`loaded ${v.dir}${warm}`);
        return m;
      },
      (e: Error) => {
        v.error = e.message;
        this.opts.log(`cannot load ${v.dir}: ${e.message}`);
        throw e;
      },
    );
    return v.loading;
  }

  /**
   * Runs `warmupRequests` predicts (at most `warmupMaxMs`) through a request's own path
   * (warmup.ts), outside metrics and the prediction log. A warm-up that fails (a transform graph that rejects the synthetic values)
   * is logged and cut short; the version still loads.
   */
  private async warmUp(v: VersionEntry, model: ServableModel): Promise<string> {
    const n = this.opts.warmupRequests;
    if (n <= 0) return '';
    const t0 = performance.now();
    const bodies = warmupBodies(model.info);
    let i = 0;
    try {
      for (; i < n && performance.now() - t0 < this.opts.warmupMaxMs; i++) {
        const { rows, columnar } = parsePredictRequest(bodies[i % bodies.length], model.info, this.opts.maxInstances);
        const predictions = await this.predictRows(v, model, rows, () => undefined);
        predictionsJson(columnar ? 'outputs' : 'predictions', predictions);
      }
    } catch (e) {
      this.opts.log(`warm-up of ${v.dir} stopped after ${i} of ${n} predicts: ${(e as Error).message}`);
    }
    if (v.batcher) v.batcher.batches = v.batcher.batchedRows = 0;
    return ` (warmed up with ${i} predicts in ${Math.round(performance.now() - t0)} ms)`;
  }

  // -------------------------------------------------------------------------------------------

  private send(res: ServerResponse, status: number, body: unknown): void {
    this.sendJson(res, status, JSON.stringify(body));
  }

  private sendJson(res: ServerResponse, status: number, text: string): void {
    if (res.headersSent) return;
    // A timing client (the InfraValidator) asked for the scheduler's counters: util/schedstat.ts.
    const start = this.schedStart.get(res);
    const end = start && threadSchedTimes();
    if (start && end) res.setHeader(SCHED_HEADER, JSON.stringify({ pid: process.pid, start, end } satisfies SchedReport));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = requestPath(req.url ?? '/');
      if (path === '/metrics' && req.method === 'GET') {
        const text = await this.renderMetrics();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      const route = parseRoute(path);
      if (!route) throw new HttpError(404, `No such endpoint: ${req.method} ${path}`);
      if (route.kind === 'list') {
        if (req.method !== 'GET') throw new HttpError(405, 'Use GET');
        this.send(res, 200, { models: [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name)).map((m) => ({ name: m.name, versions: [...m.versions.keys()], labels: m.labels })) });
        return;
      }
      const entry = this.models.get(route.model);
      if (!entry) throw new HttpError(404, `Model "${route.model}" not found (models: ${[...this.models.keys()].join(', ') || 'none'})`);
      if (route.kind === 'status') {
        if (req.method !== 'GET') throw new HttpError(405, 'Use GET');
        const versions = route.version !== undefined || route.label !== undefined ? [this.pick(entry, route)] : [...entry.versions.values()].reverse();
        this.send(res, 200, { model_version_status: versions.map(versionStatus) });
        return;
      }
      if (route.kind === 'metadata') {
        if (req.method !== 'GET') throw new HttpError(405, 'Use GET');
        const v = this.pick(entry, route);
        const model = await this.ready(v);
        this.send(res, 200, {
          model_spec: { name: entry.name, signature_name: 'serving_default', version: String(v.version) },
          metadata: { signature_def: signature(model.info), bundle: model.info, labels: entry.labels },
        });
        return;
      }
      if (req.method !== 'POST') throw new HttpError(405, 'predict needs POST');
      this.arriving++;
      let arrived = false;
      const hasArrived = () => {
        if (!arrived) this.arriving--;
        arrived = true;
      };
      try {
        await this.predictRequest(req, res, entry, route, hasArrived);
      } finally {
        hasArrived();
      }
    } catch (e) {
      if (e instanceof HttpError) this.send(res, e.status, { error: e.message });
      else this.send(res, 500, { error: (e as Error).message });
    }
  }

  private async predictRequest(req: IncomingMessage, res: ServerResponse, entry: ModelEntry, route: { version?: number; label?: string }, hasArrived: () => void): Promise<void> {
    const body = await readBody(req, this.opts.maxBodyBytes);
    const t0 = performance.now();
    const { v, arm, key } = this.routePredict(entry, route, req, body);
    res.setHeader('x-tributary-version', String(v.version));
    if (arm) res.setHeader('x-tributary-arm', arm);
    // Every answer after routing counts for the version: metrics and the prediction log.
    const record = (status: number, extra: { rows?: unknown[]; predictions?: unknown[]; error?: string }) => {
      const seconds = (performance.now() - t0) / 1000;
      this.metrics.observe(entry.name, v.version, arm, seconds, status < 400);
      this.predictionLog?.write({
        time: new Date().toISOString(),
        model: entry.name,
        version: v.version,
        arm,
        ...(key !== undefined ? { key } : {}),
        status,
        latencyMs: Math.round(seconds * 1e6) / 1e3,
        ...(extra.rows ? { instances: extra.rows } : {}),
        ...(extra.predictions ? { predictions: extra.predictions } : {}),
        ...(extra.error ? { error: extra.error } : {}),
      });
    };
    let rows: Record<string, unknown>[] | undefined;
    try {
      const model = await this.ready(v);
      const parsed = parsePredictRequest(body, model.info, this.opts.maxInstances);
      rows = parsed.rows;
      if (this.opts.predictDelayMs > 0) await new Promise((r) => setTimeout(r, this.opts.predictDelayMs));
      let predictions: RowPrediction[];
      try {
        predictions = await this.predictRows(v, model, rows, hasArrived);
      } catch (e) {
        // The transform graph rejects values it cannot handle (a UserError): the client's fault.
        if ((e as Error).name === 'UserError') throw new HttpError(400, (e as Error).message);
        throw e;
      }
      this.sendJson(res, 200, predictionsJson(parsed.columnar ? 'outputs' : 'predictions', predictions));
      record(200, { rows, predictions: this.predictionLog && predictions.map((p) => (Array.isArray(p) ? p : [p])) });
    } catch (e) {
      record(e instanceof HttpError ? e.status : 500, { rows, error: (e as Error).message });
      throw e;
    }
  }

  /** Through the version's batcher, or (batching off) one predict of the whole request. */
  private predictRows(v: VersionEntry, model: ServableModel, rows: Record<string, unknown>[], hasArrived: () => void): Promise<RowPrediction[]> {
    hasArrived();
    if (this.opts.maxBatchSize <= 0) return Promise.resolve(model.predict(rows));
    // The batcher outlives the warm-up, whose batches (before the version is served) do not count.
    const predict = (batch: Record<string, unknown>[]) => {
      if (v.model) this.metrics.observeBatch(v.name, v.version, batch.length);
      return model.predict(batch);
    };
    v.batcher ??= new PredictBatcher(predict, {
      maxBatchSize: this.opts.maxBatchSize,
      timeoutMs: this.opts.batchTimeoutMs,
      arriving: () => this.arriving,
    });
    return v.batcher.submit(rows);
  }

  /** Batches run and rows in them, all versions together (tests). */
  batchStats(): { batches: number; rows: number } {
    let batches = 0;
    let rows = 0;
    for (const m of this.models.values()) {
      for (const v of m.versions.values()) {
        batches += v.batcher?.batches ?? 0;
        rows += v.batcher?.batchedRows ?? 0;
      }
    }
    return { batches, rows };
  }

  /** The version a predict goes to: as named, else by the model's traffic split, else the newest. */
  private routePredict(entry: ModelEntry, route: { version?: number; label?: string }, req: IncomingMessage, body: string): { v: VersionEntry; arm: string; key?: string } {
    if (route.version !== undefined || route.label !== undefined || !entry.traffic) return { v: this.pick(entry, route), arm: '' };
    let parsed: unknown;
    if (entry.traffic.key_field) {
      try {
        parsed = JSON.parse(body);
      } catch {
        // parsePredictRequest reports it once the version is known.
      }
    }
    const key = requestKey(entry.traffic, req.headers, parsed);
    const arm = chooseArm(entry.traffic, key);
    const version = armVersion(arm, entry.labels);
    if (version === undefined) throw new HttpError(503, `Traffic arm "${arm}" of model "${entry.name}" names no label or version (labels: ${Object.keys(entry.labels).join(', ') || 'none'})`);
    return { v: this.pick(entry, { version }), arm, key };
  }

  private pick(entry: ModelEntry, route: { version?: number; label?: string }): VersionEntry {
    let version = route.version;
    if (route.label !== undefined) {
      version = entry.labels[route.label];
      if (version === undefined) {
        throw new HttpError(404, `Model "${entry.name}" has no label "${route.label}" (labels: ${Object.keys(entry.labels).join(', ') || 'none'})`);
      }
    }
    if (version === undefined) version = Math.max(...entry.versions.keys());
    const v = entry.versions.get(version);
    if (!v) throw new HttpError(404, `Model "${entry.name}" has no version ${version} (versions: ${[...entry.versions.keys()].join(', ') || 'none'})`);
    return v;
  }

  private async ready(v: VersionEntry): Promise<ServableModel> {
    try {
      return v.model ?? (await this.load(v));
    } catch (e) {
      throw new HttpError(503, `Version ${v.version} cannot be loaded: ${(e as Error).message}`);
    }
  }
}

/**
 * `{"predictions": [[p], ...]}` (or "outputs") as JSON.stringify writes it for the predictions
 * shaped one array per row, without building those arrays: a finite number's JSON is its String()
 * (NaN and ±Infinity are null). test/serving/server.test.ts compares it with JSON.stringify.
 */
export function predictionsJson(key: 'predictions' | 'outputs', predictions: readonly RowPrediction[]): string {
  let text = `{"${key}":[`;
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i];
    if (i > 0) text += ',';
    text += typeof p === 'number' ? `[${Number.isFinite(p) ? String(p) : 'null'}]` : JSON.stringify(p);
  }
  return `${text}]}`;
}

/** A path of plain segments (none empty, none starting with a dot), no query: what URL parsing would return unchanged. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_:-][A-Za-z0-9_:.-]*)+\/?$/;

/** The decoded path of a request URL; plain paths (every predict) skip the URL parser. */
export function requestPath(raw: string): string {
  if (PLAIN_PATH.test(raw)) return raw;
  const { pathname } = new URL(raw, 'http://localhost');
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, `Malformed URL: ${pathname}`);
  }
}

type Route =
  | { kind: 'list' }
  | { kind: 'status' | 'metadata' | 'predict'; model: string; version?: number; label?: string };

/** /v1/models/{m}[/versions/{v}|/labels/{l}][/metadata|:predict] */
export function parseRoute(path: string): Route | undefined {
  if (path === '/v1/models' || path === '/v1/models/') return { kind: 'list' };
  const m = /^\/v1\/models\/([^/:]+)(?:\/versions\/([^/:]+)|\/labels\/([^/:]+))?(\/metadata|:predict)?\/?$/.exec(path);
  if (!m) return undefined;
  const [, model, version, label, action] = m;
  if (version !== undefined && !/^[1-9][0-9]*$/.test(version)) throw new HttpError(400, `Version must be a positive integer, got "${version}"`);
  const kind = action === '/metadata' ? 'metadata' : action === ':predict' ? 'predict' : 'status';
  return { kind, model, version: version === undefined ? undefined : Number(version), label };
}

function versionStatus(v: VersionEntry) {
  const state = v.model ? 'AVAILABLE' : v.error ? 'END' : v.loading ? 'LOADING' : 'START';
  return {
    version: String(v.version),
    state,
    status: { error_code: v.error ? 'UNKNOWN' : 'OK', error_message: v.error ?? '' },
  };
}


function signature(info: BundleInfo) {
  const dtype = (t: string) => (t === 'STRING' ? 'DT_STRING' : t === 'INT' ? 'DT_INT64' : 'DT_FLOAT');
  return {
    serving_default: {
      inputs: Object.fromEntries(info.rawFeatures.map((f) => [f.name, { dtype: dtype(f.type), tensor_shape: { dim: [{ size: '-1' }] }, name: f.name }])),
      outputs: {
        predictions: {
          dtype: 'DT_FLOAT',
          tensor_shape: { dim: [{ size: '-1' }, { size: String(info.task === 'multiclass' ? (info.classes?.length ?? -1) : 1) }] },
          name: info.task === 'multiclass' ? 'probabilities' : info.task === 'binary' ? 'probability' : 'value',
        },
      },
      method_name: 'tensorflow/serving/predict',
    },
  };
}

/**
 * The request's body as text. Events rather than an async iterator (no iterator and promise per
 * chunk), and a body that came in one chunk — a small predict always does — is decoded without a
 * copy into a joined buffer.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, `Request body of ${declared} bytes exceeds the limit of ${limit}`));
  }
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      first = more = undefined;
      reject(e);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return; // over the limit: the rest is drained and dropped
      size += chunk.length;
      if (size > limit) return fail(new HttpError(413, `Request body exceeds the limit of ${limit} bytes`));
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.once('end', () => {
      if (done) return;
      done = true;
      resolve(more ? Buffer.concat(more).toString('utf8') : (first?.toString('utf8') ?? ''));
    });
    req.once('error', fail);
    // The client went away before the body was whole.
    req.once('close', () => fail(new HttpError(400, 'The request was aborted before its body was complete')));
  });
}

interface RequestSchema {
  features: Map<string, string>;
  lists: Set<string>;
  required: string[];
}

const schemas = new WeakMap<BundleInfo, RequestSchema>();

/** What a request's rows are checked against, made once per loaded bundle (not per request). */
function requestSchema(info: BundleInfo): RequestSchema {
  let schema = schemas.get(info);
  if (!schema) {
    const labelOnly = new Set(labelRawFeatures(info));
    schema = {
      features: new Map(info.rawFeatures.map((f) => [f.name, f.type])),
      lists: new Set(info.rawFeatures.filter((f) => f.list).map((f) => f.name)),
      required: info.rawFeatures.map((f) => f.name).filter((f) => !labelOnly.has(f)),
    };
    schemas.set(info, schema);
  }
  return schema;
}

/** Validates a predict body against the bundle's raw features; returns row objects. */
export function parsePredictRequest(text: string, info: BundleInfo, maxInstances: number): { rows: Record<string, unknown>[]; columnar: boolean } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `Malformed JSON: ${(e as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'The body must be a JSON object with "instances" or "inputs"');
  const { instances, inputs } = body as { instances?: unknown; inputs?: unknown };
  if ((instances === undefined) === (inputs === undefined)) throw new HttpError(400, 'Give exactly one of "instances" (rows) or "inputs" (columns)');
  let rows: Record<string, unknown>[];
  if (instances !== undefined) {
    if (!Array.isArray(instances) || instances.length === 0) throw new HttpError(400, '"instances" must be a non-empty array of objects');
    if (instances.length > maxInstances) throw new HttpError(413, `${instances.length} instances exceed the limit of ${maxInstances}`);
    instances.forEach((r, i) => {
      if (!r || typeof r !== 'object' || Array.isArray(r)) throw new HttpError(400, `instances[${i}] must be an object of feature values`);
    });
    rows = instances as Record<string, unknown>[];
  } else {
    if (!inputs || typeof inputs !== 'object' || Array.isArray(inputs)) throw new HttpError(400, '"inputs" must be an object of feature columns');
    const cols = Object.entries(inputs as Record<string, unknown>);
    let n = -1;
    for (const [name, col] of cols) {
      if (!Array.isArray(col)) throw new HttpError(400, `inputs.${name} must be an array`);
      if (n >= 0 && col.length !== n) throw new HttpError(400, `inputs.${name} has ${col.length} values, other columns ${n}`);
      n = col.length;
    }
    if (n <= 0) throw new HttpError(400, '"inputs" has no values');
    if (n > maxInstances) throw new HttpError(413, `${n} rows exceed the limit of ${maxInstances}`);
    rows = Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map(([name, col]) => [name, (col as unknown[])[i]])));
  }
  // Every feature the model reads must be named: an absent key is a client bug (a typo, an old
  // client), while an explicit null is a missing value that the transform's fill_in_missing
  // handles as in the training data. Unknown names and ill-typed values are errors too.
  const { features, lists, required } = requestSchema(info);
  // Plain loops: this runs for every row of every request (no per-value arrays or closures).
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    let known = 0;
    for (const name in row) {
      const type = features.get(name);
      if (!type) throw new HttpError(400, `instances[${i}] has unknown feature "${name}" (features: ${[...features.keys()].join(', ')})`);
      known++;
      const v = row[name];
      if (v === null) continue;
      // A list feature takes an array of values (or one value: a list of one).
      if (Array.isArray(v) && lists.has(name)) {
        for (const item of v) checkValue(item, type, i, name, '[]');
      } else checkValue(v, type, i, name, '');
    }
    if (known === 0) throw new HttpError(400, `instances[${i}] has none of the model's features (${[...features.keys()].join(', ')})`);
    for (const f of required) {
      if (f in row) continue;
      const absent = required.filter((g) => !(g in row));
      throw new HttpError(400, `instances[${i}] is missing feature${absent.length > 1 ? 's' : ''} ${absent.map((g) => `"${g}"`).join(', ')} (send null for a missing value)`);
    }
  }
  return { rows, columnar: inputs !== undefined };
}

/** One value of a feature: a string for STRING (a number is not a string, as in TF Serving), a finite number otherwise. */
function checkValue(v: unknown, type: string, row: number, name: string, list: '' | '[]'): void {
  if (type === 'STRING') {
    // As TF Serving: a number is not a string (the model's vocabulary holds "7", not 7).
    if (typeof v !== 'string') throw new HttpError(400, `instances[${row}].${name}${list} must be a string, got ${JSON.stringify(v)}`);
  } else if (typeof v !== 'number') {
    throw new HttpError(400, `instances[${row}].${name}${list} must be a number (${type}), got ${JSON.stringify(v)}`);
  } else if (!Number.isFinite(v)) {
    // A literal too large for a double (1e400) parses as Infinity, which JSON.stringify prints as null.
    throw new HttpError(400, `instances[${row}].${name}${list} must be a finite number (${type}), got ${v}`);
  } else if (type === 'INT' && !Number.isInteger(v)) {
    throw new HttpError(400, `instances[${row}].${name}${list} must be an integer, got ${v}`);
  }
}
