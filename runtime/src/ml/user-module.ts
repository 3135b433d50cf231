/**
 * Running user code (preprocessing_fn, run_fn, tuner_fn, compiled by modules/compile-module.ts)
 * off the main thread:
 * - `runInWorker` calls a named export of any module in a dedicated worker thread, with a timeout
 *   that terminates the worker (the only way to stop a busy loop) and console output forwarded;
 * - `importUserExport` / `userCodeError` are the pieces pool tasks use to call user code where no
 *   timeout of their own is needed (the pool task is aborted by the executor instead).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { isUserError, UserError } from '../core/errors.ts';
import { sha256, verifiedFile } from '../core/hash.ts';
import { decodeUserError } from '../core/user-error-wire.ts';
import { mapCompiledFrame } from '../modules/compiled-frames.ts';

const loaded = new Map<string, Promise<Record<string, unknown>>>();

/** Imports a compiled module once per thread and returns the named export, which must be a function. */
export async function importUserExport<F extends (...args: never[]) => unknown>(modulePath: string, exportName: string): Promise<F> {
  process.setSourceMapsEnabled(true);
  let mod = loaded.get(modulePath);
  if (!mod) {
    mod = import(pathToFileURL(modulePath).href) as Promise<Record<string, unknown>>;
    loaded.set(modulePath, mod);
  }
  let exports: Record<string, unknown>;
  try {
    exports = await mod;
  } catch (e) {
    loaded.delete(modulePath);
    throw userCodeError(e, `Loading ${modulePath} failed`);
  }
  const fn = exports[exportName];
  if (typeof fn !== 'function') {
    const names = Object.keys(exports).filter((k) => typeof exports[k] === 'function');
    throw new UserError(
      `The module has no exported function "${exportName}"${names.length ? ` (it exports: ${names.join(', ')})` : ''}`,
      { file: modulePath },
    );
  }
  return fn as F;
}

/**
 * Stack frames of the runtime and of Node itself say nothing to the user: keep only theirs, mapped
 * to their source. Frames are mapped before the node_modules test: a compiled module may live
 * under node_modules/.cache while its source does not, and a bundled package maps into node_modules.
 */
function userFrames(stack: string): string[] {
  return stack
    .split('\n')
    .slice(1)
    .filter((l) => /^\s+at /.test(l) && !/node:internal|tributary-worker-[0-9a-f]+\.cjs|\/runtime\/src\/|\/dist\/runtime\//.test(l))
    .map(mapCompiledFrame)
    .filter((l) => !/node_modules/.test(l));
}

/** The first `file:line:column` of a user frame, for the error's location. */
function firstLocation(frames: string[]): { file: string; line: number; column: number } | undefined {
  for (const f of frames) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(f);
    if (m) {
      const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
      return { file, line: Number(m[2]), column: Number(m[3]) };
    }
  }
  return undefined;
}

/**
 * An error thrown by user code, as a UserError whose message carries the user's stack (mapped to
 * their .ts lines by the source map) and whose location is the innermost user frame. UserErrors
 * thrown on purpose (bad input noticed by a helper) pass through unchanged.
 */
export function userCodeError(e: unknown, what: string): UserError {
  if (isUserError(e)) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const frames = userFrames(err.stack ?? '');
  const where = firstLocation(frames);
  const trace = frames.length ? `\n${frames.join('\n')}` : '';
  return new UserError(`${what}: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}${trace}`, where);
}

export interface RunInWorkerOptions {
  /** Module to import in the worker (a compiled user module, or a runtime entry that wraps one). */
  modulePath: string;
  exportName: string;
  /** Positional arguments: structured-cloneable. */
  args?: unknown[];
  /** Seconds; exceeding it terminates the worker and fails with a UserError. 0 or undefined: none. */
  timeout?: number;
  signal?: AbortSignal;
  /** console.* output of the worker, line by line. */
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Progress the worker posts (`parentPort.postMessage({ type: 'progress', value })`), e.g. per epoch. */
  onProgress?: (value: unknown) => void;
  /** Describes the call in errors, e.g. `run_fn in trainer.ts`. Default: the export name. */
  label?: string;
  /** Resource limits of the worker (e.g. a heap cap). */
  resourceLimits?: ResourceLimits;
}

// The worker's bootstrap: one CommonJS file, written once per content into the OS temp folder (so
// the esbuild bundle needs no extra file, and its stack frames are recognisable). Worker threads
// get the parent's execArgv, but under Node 20 `--import tsx` gives them only tsx's CommonJS hook,
// so when the entry is a .ts file (running from source) the bootstrap registers tsx's ESM hooks
// itself. The entry may thus be a .ts runtime file, a compiled .mjs or a bundled .js.
// tfjs is required before source maps are switched on (preloadWithoutSourceMaps).
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const { format } = require('node:util');
process.setSourceMapsEnabled(false); // tsx (the runtime from source) switched them on in this thread
for (const file of workerData.preload) require(file);
process.setSourceMapsEnabled(true);
const forward = (level) => (...a) => parentPort.postMessage({ type: 'log', level, message: format(...a) });
console.log = console.info = console.debug = forward('info');
console.warn = forward('warn');
console.error = forward('error');
const send = (e) => parentPort.postMessage({ type: 'error', error: {
  name: e && e.name, message: e && e.message !== undefined ? String(e.message) : String(e), stack: e && e.stack,
  isUser: !!(e && e.name === 'UserError'), location: e && e.location } });
(async () => {
  let fn;
  try {
    // A .ts entry means we run from source: --import tsx gives file workers tsx's CommonJS hook
    // but not its ESM hooks (Node 20), so register those here (the parent resolved tsx's API).
    if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
    const m = await import(workerData.url);
    fn = m[workerData.exportName];
    if (typeof fn !== 'function') {
      const names = Object.keys(m).filter((k) => typeof m[k] === 'function');
      throw Object.assign(new Error('The module has no exported function "' + workerData.exportName + '"' +
        (names.length ? ' (it exports: ' + names.join(', ') + ')' : '')), { name: 'UserError' });
    }
  } catch (e) { send(e); return; }
  try {
    const value = await fn(...workerData.args);
    parentPort.postMessage({ type: 'result', value });
  } catch (e) { send(e); }
})();
`;

/**
 * Files the worker requires before it switches source maps on: tfjs. With source maps on, Node 20
 * reads and parses the map of every module as it loads it, and tfjs's bundles come with 14 MB of
 * maps: loading tfjs took 650 ms instead of 270 in each worker (each Trainer, each data-parallel
 * replica, each Tuner trial). And mapped, tfjs's frames pointed at its own sources, paths outside
 * node_modules that userFrames kept: an error thrown inside tfjs was located in tfjs's util_base.ts
 * instead of the user's line. The user's module is mapped as before.
 */
let preloads: string[] | undefined;
function preloadWithoutSourceMaps(): string[] {
  if (!preloads) {
    const require = createRequire(import.meta.url);
    preloads = [];
    try {
      preloads.push(require.resolve('@tensorflow/tfjs'));
    } catch {
      // not installed here: the worker loads what it needs as it goes
    }
  }
  return preloads;
}

/** tsx's ESM API for a worker that must import TypeScript (only when this runtime runs from source). */
function tsxApiFor(modulePath: string): string | undefined {
  if (!/\.[cm]?ts$/.test(modulePath) || !import.meta.url.endsWith('.ts')) return undefined;
  return import.meta.resolve('tsx/esm/api');
}

const BOOTSTRAP_HASH = sha256(BOOTSTRAP);
let bootstrapPath: string | undefined;
const bootstrapDirs: string[] = [];

/**
 * The bootstrap, written by this process into its own private folder (mkdtemp, mode 0700, removed
 * at exit) and checked against its hash before each use. A predictable name in the shared temp
 * folder would run whatever another local user planted there first.
 */
function bootstrapFile(): string {
  if (bootstrapPath && verifiedFile(bootstrapPath, BOOTSTRAP_HASH)) return bootstrapPath;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-worker-'));
  chmodSync(dir, 0o700);
  const path = join(dir, `tributary-worker-${BOOTSTRAP_HASH.slice(0, 16)}.cjs`);
  writeFileSync(path, BOOTSTRAP, { mode: 0o600, flag: 'wx' });
  if (!bootstrapDirs.length) process.once('exit', () => bootstrapDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  bootstrapDirs.push(dir);
  return (bootstrapPath = path);
}

interface WorkerError {
  name?: string;
  message: string;
  stack?: string;
  isUser: boolean;
  location?: UserError['location'];
}

/**
 * Calls `exportName(...args)` of `modulePath` in a fresh worker thread and resolves with its
 * (structured-cloned) return value. A throw becomes a UserError with the user's mapped stack; a
 * timeout or an abort terminates the worker.
 */
export function runInWorker<T>(options: RunInWorkerOptions): Promise<T> {
  const label = options.label ?? options.exportName;
  return new Promise<T>((resolvePromise, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason);
      return;
    }
    const worker = new Worker(bootstrapFile(), {
      workerData: { tsxApi: tsxApiFor(options.modulePath), preload: preloadWithoutSourceMaps(), url: pathToFileURL(options.modulePath).href, exportName: options.exportName, args: options.args ?? [] },
      execArgv: process.execArgv,
      resourceLimits: options.resourceLimits,
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const timer =
      options.timeout && options.timeout > 0
        ? setTimeout(
            () =>
              finish(() =>
                reject(new UserError(`${label} exceeded its timeout of ${options.timeout} s: the worker thread was terminated`)),
              ),
            options.timeout * 1000,
          )
        : undefined;
    const onAbort = () => finish(() => reject(options.signal!.reason));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    type Message = { type: 'log'; level: 'info' | 'warn' | 'error'; message: string } | { type: 'progress'; value: unknown } | { type: 'result'; value: T } | { type: 'error'; error: WorkerError };
    worker.on('message', (msg: Message) => {
      if (msg.type === 'log') options.onLog?.(msg.level, msg.message);
      else if (msg.type === 'progress') options.onProgress?.(msg.value);
      else if (msg.type === 'result') finish(() => resolvePromise(msg.value));
      else finish(() => reject(fromWorkerError(msg.error, label)));
    });
    worker.on('error', (e) => finish(() => reject(userCodeError(e, `${label} crashed its worker`))));
    worker.on('exit', (code) =>
      finish(() => reject(new UserError(`${label} ended its worker thread (exit code ${code}) before returning a result`))),
    );
  });
}

function fromWorkerError(e: WorkerError, label: string): UserError {
  if (e.isUser) {
    return new UserError(e.message, e.location);
  }
  const err = new Error(e.message);
  err.name = e.name ?? 'Error';
  err.stack = e.stack;
  // A UserError the worker's task wrapper encoded for the trip (pool tasks run there too).
  const decoded = decodeUserError(err);
  if (decoded instanceof UserError) return decoded;
  return userCodeError(err, `${label} threw`);
}
