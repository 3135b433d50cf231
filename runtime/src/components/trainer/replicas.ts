/**
 * The coordinator's side of data-parallel training (data-parallel.ts): how many replicas, and
 * running them, each in its own worker thread, over one shared exchange buffer. The first failure
 * aborts the group (peers waiting at an exchange wake up and stop) and is the one reported.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { UserError } from '../../core/errors.ts';
import { abortGroup, createGroupBuffer } from '../../ml/all-reduce.ts';
import type { BackendRequest } from '../../ml/backend.ts';
import type { ArtifactRef } from '../../core/component.ts';
import type { ExamplesProperties } from '../../formats/examples.ts';
import type { ReplicaArgs } from './session.ts';

export type WorkersParam = number | 'auto';

export interface Machine {
  cores: number;
  /** GPUs tfjs-node-gpu would train on (0 when it is not installed). */
  gpus: number;
}

/** GPUs nvidia-smi lists, when tfjs-node-gpu is installed (the only backend that trains on several). */
function countGpus(): number {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
  } catch {
    return 0;
  }
  const listed = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
  return listed.status === 0 ? listed.stdout.split('\n').filter((l) => l.startsWith('GPU ')).length : 0;
}

export const thisMachine = (): Machine => ({ cores: availableParallelism(), gpus: countGpus() });

/**
 * Replicas for `workers`: a number as given; `auto` is one per GPU when tfjs-node-gpu can train
 * (backend auto or tfjs-node-gpu), else one per core. webgpu cannot read gradients synchronously
 * in Node, which the all-reduce inside the optimizer step needs, so it trains on one worker.
 * Every replica trains on its share of each global batch of `batchSize` rows, so there are never
 * more replicas than rows in a batch: `auto` stops there, and a larger number is refused (a
 * replica without rows would have no batch at all).
 */
export function resolveWorkers(workers: WorkersParam, backend: BackendRequest, machine: Machine, batchSize: number, field = 'workers'): number {
  if (workers !== 'auto') {
    if (workers > 1 && backend === 'webgpu') {
      throw new UserError(`${field} > 1 needs a backend that reads tensors synchronously (tfjs-node-gpu, wasm or cpu); webgpu in Node cannot: set ${field} to 1 or another backend`, { field });
    }
    if (workers > batchSize) {
      throw new UserError(
        `${field}: ${workers} is more than batch_size ${batchSize}: each worker trains on its share of every batch of ${batchSize} rows, so each needs at least one row; set ${field} to at most ${batchSize} or raise batch_size`,
        { field },
      );
    }
    return workers;
  }
  if (backend === 'webgpu') return 1;
  const wanted = (backend === 'auto' || backend === 'tfjs-node-gpu') && machine.gpus > 0 ? machine.gpus : Math.max(1, machine.cores);
  return Math.min(wanted, batchSize);
}

/**
 * Refuses, before any replica starts, a split with fewer rows than `workers` (where the Examples
 * artifact records its splits' rows, as the Transform's does): no replica would get a batch of it.
 * The dataset says the same from inside a replica where the rows are not recorded.
 */
export function checkSplitRows(examples: ArtifactRef, splits: string[], workers: number, field = 'workers'): void {
  if (workers < 2) return;
  const recorded = (examples.properties as Partial<ExamplesProperties>).splits;
  for (const split of splits) {
    const rows = recorded?.[split]?.rows;
    if (rows !== undefined && rows > 0 && rows < workers) {
      throw new UserError(`The ${split} split has ${rows} row(s), fewer than ${field} (${workers}): each worker trains and evaluates on its share of every batch, so each needs at least one row; set ${field} to at most ${rows}`, { field });
    }
  }
}

/** Runs `count` replicas; resolves with every result (rank order) or rejects with the first failure. */
export async function runReplicas<T>(count: number, signal: AbortSignal, run: (replica: ReplicaArgs, signal: AbortSignal) => Promise<T>): Promise<T[]> {
  // An abort that came before this call fires no event: check it first, or the replicas would run.
  signal.throwIfAborted();
  const buffer = createGroupBuffer(count);
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | undefined;
  const runs = Array.from({ length: count }, (_, rank) =>
    run({ rank, count, buffer }, stop.signal).catch((error: unknown) => {
      if (!failure) {
        failure = { error };
        abortGroup(buffer);
        stop.abort(error);
      }
      throw error;
    }),
  );
  const settled = await Promise.allSettled(runs);
  signal.removeEventListener('abort', onAbort);
  if (failure) throw failure.error;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
