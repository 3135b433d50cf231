import { getMaxListeners, setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { timelineEnabled, timelineMark } from '../util/pool-timeline.ts';
import type { WorkerPool } from '../core/worker-pool.ts';
import { decodeUserError } from '../core/user-error-wire.ts';

/** Worker entry next to this module: the `.ts` source under tsx, the CommonJS shim in the bundle (see pool-worker.cjs). */
function workerFile(): string {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './pool-worker.ts' : './pool-worker.cjs', here).href;
}

/**
 * Runs `run` over items with at most `limit` in flight, starting them strictly in item order
 * (piscina's own queue reorders tasks that carry an abort signal). Results then arrive roughly in
 * item order, so an in-order merge in `onResult` keeps pace with the workers instead of piling up
 * at the end, and the larger items a component lists first really start first. The next item
 * starts before `onResult` sees the previous result, so a worker never waits for a merge. On the
 * first error (of a task or of `onResult`) nothing more starts and the promise rejects.
 * With `keep` false the results are only handed to `onResult`, not collected: a fold over many
 * shards then holds just the partials not merged yet, however many shards there are.
 */
export function mapInOrder<A, T>(
  run: (item: A, index: number) => Promise<T>,
  items: A[],
  limit: number,
  onResult?: (result: T, index: number) => void,
  keep = true,
): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const results: T[] = new Array(items.length);
    let next = 0;
    let done = 0;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    const launch = () => {
      const i = next++;
      run(items[i], i).then((r) => {
        if (failed) return;
        if (keep) results[i] = r;
        if (next < items.length) launch();
        try {
          onResult?.(r, i);
        } catch (err) {
          fail(err);
          return;
        }
        if (++done === items.length) resolve(results);
      }, fail);
    };
    if (items.length === 0) resolve(results);
    for (let k = 0; k < Math.min(Math.max(1, limit), items.length); k++) launch();
  });
}

export function defaultPoolSize(): number {
  const fromEnv = Number(process.env.TRIBUTARY_WORKERS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}

/**
 * How long an idle pool worker lives. Nodes that use the pool follow each other within
 * milliseconds, so their workers (warm JIT, loaded modules) carry over; while a long node works
 * without the pool — a Trainer in its own thread, an InfraValidator's server — the idle workers
 * exit and give back their heaps, which a Transform over large shards grew and V8 keeps. The
 * pool starts fresh ones when work comes.
 */
export const POOL_IDLE_MS = 5_000;

export function createPool(size = defaultPoolSize(), idleMs = POOL_IDLE_MS): WorkerPool {
  timelineMark(`pool start ${size}`);
  const piscina = new Piscina({
    filename: workerFile(),
    // Started on demand and released when idle: see POOL_IDLE_MS.
    minThreads: 0,
    maxThreads: size,
    idleTimeout: idleMs,
    execArgv: process.execArgv,
  });
  const run = <T>(task: string, args: unknown, options?: { signal?: AbortSignal }): Promise<T> =>
    (piscina.run({ task, args }, { signal: options?.signal ?? null }) as Promise<T>).catch((e: unknown) => {
      throw decodeUserError(e);
    });
  const mapTask = <T>(task: string, items: unknown[], options: { signal?: AbortSignal; onResult?: (result: T, index: number) => void } | undefined, keep: boolean) => {
    // Each running task listens for the abort: many shards on one signal is expected, not a leak.
    if (options?.signal) setMaxListeners(Math.max(getMaxListeners(options.signal), items.length + 10), options.signal);
    return mapInOrder((item, i) => {
      const result = run<T>(task, item, options);
      return timelineEnabled() ? result.then((r) => (timelineMark(`result ${task} #${i}`), r)) : result;
    }, items, size, options?.onResult, keep);
  };
  return {
    size,
    run,
    map: (task, items, options) => mapTask(task, items, options, true),
    async each(task, items, options) {
      await mapTask(task, items, options, false);
    },
    async close() {
      await piscina.destroy();
    },
  };
}
