/**
 * The worker-thread pool components use for data-parallel work: split the input into shards,
 * map a task over the shards in workers, merge the partial results in shard order (Beam's
 * CombineFn idea). Tasks are named functions in each component's `tasks.ts`, so the same task can later run
 * in another process or machine.
 */
export interface WorkerPool {
  readonly size: number;
  run<T>(task: string, args: unknown, options?: { signal?: AbortSignal }): Promise<T>;
  /** Map a task over items, at most `size` at once, results in item order. */
  map<A, T>(task: string, items: A[], options?: { signal?: AbortSignal; onResult?: (result: T, index: number) => void }): Promise<T[]>;
  /**
   * Like map, but each result goes to `onResult` only and is not kept: a component that folds
   * partials as they come (in shard order) then holds memory that does not grow with the shard count.
   */
  each<A, T>(task: string, items: A[], options: { signal?: AbortSignal; onResult: (result: T, index: number) => void }): Promise<void>;
  close(): Promise<void>;
}

/** Pool task functions by name; each runs in a worker thread, its args and result structured-cloned. */
export type WorkerTasks = Record<string, (args: any) => unknown>;
