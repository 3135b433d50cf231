import { getMaxListeners, setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';

/**
 * The worker-thread pool components use for data-parallel work: split the input into shards,
 * map a task over the shards in workers, merge the partial results in shard order (Beam's
 * CombineFn idea). Tasks are named functions in `worker-tasks.ts`, so the same task can later run
 * in another process or machine.
 */
export interface WorkerPool {
  readonly size: number;
  run<T>(task: string, args: unknown, options?: { signal?: AbortSignal }): Promise<T>;
  /** Map a task over items, at most `size` at once, results in item order. */
  map<A, T>(task: string, items: A[], options?: { signal?: AbortSignal; onResult?: (result: T, index: number) => void }): Promise<T[]>;
  close(): Promise<void>;
}

/** Worker entry next to this module: the `.ts` source under tsx, the CommonJS shim in the bundle (see pool-worker.cjs). */
function workerFile(): string {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './pool-worker.ts' : './pool-worker.cjs', here).href;
}

export function defaultPoolSize(): number {
  const fromEnv = Number(process.env.TRIBUTARY_WORKERS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}

export function createPool(size = defaultPoolSize()): WorkerPool {
  const piscina = new Piscina({
    filename: workerFile(),
    minThreads: size,
    maxThreads: size,
    // Keep idle workers for the whole run: warm JIT and loaded modules matter more than memory.
    idleTimeout: 60_000,
    execArgv: process.execArgv,
  });
  const run = <T>(task: string, args: unknown, options?: { signal?: AbortSignal }): Promise<T> =>
    piscina.run({ task, args }, { signal: options?.signal ?? null }) as Promise<T>;
  return {
    size,
    run,
    async map(task, items, options) {
      // Each queued task listens for the abort: many shards on one signal is expected, not a leak.
      if (options?.signal) setMaxListeners(Math.max(getMaxListeners(options.signal), items.length + 10), options.signal);
      return Promise.all(
        items.map((item, i) =>
          run<any>(task, item, options).then((r) => {
            options?.onResult?.(r, i);
            return r;
          }),
        ),
      );
    },
    async close() {
      await piscina.destroy();
    },
  };
}
