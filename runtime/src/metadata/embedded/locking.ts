/** Settings the embedded store's writers and its maintenance share. */

/** Locks are held for one change (milliseconds), never across a node's work. */
export const LOCK = {
  realpath: false,
  stale: 10_000,
  retries: { retries: 400, minTimeout: 5, maxTimeout: 100, factor: 1.3 },
} as const;

/** How many executions per cache key the index keeps (newest first): enough to skip a deleted one. */
export const CACHE_ENTRIES = 8;
