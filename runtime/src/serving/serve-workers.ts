/**
 * How many server processes `tributary serve --workers auto` (the default) starts: one per core
 * but one, at least one. With dynamic batching a predict's fixed cost (tfjs's kernel dispatch,
 * about 0.6 ms for the taxi model whatever its rows) dominates a loaded server's CPU, and every
 * worker added splits the clients, so batches shrink and predicts multiply; the core left over
 * runs the kernel's network work, V8's helper threads and whatever else the machine serves. On
 * the 2-core machine with its load generator one batching process spent 0.18 ms of CPU a request
 * where two workers spent 0.47 (README, "Where a loaded server's CPU goes"). Small module so the
 * serving bench can use the same rule without loading the server.
 */
import { availableParallelism } from 'node:os';

export function autoServeWorkers(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}
