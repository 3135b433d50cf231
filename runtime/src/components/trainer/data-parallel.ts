/**
 * Synchronous data-parallel training, owned by the runtime so run_fn does not change (the
 * equivalent of tf.distribute's MirroredStrategy, applied to the model run_fn fits):
 *
 * - every replica (a worker thread with its own backend) runs the same run_fn on its shard of
 *   each global batch (dataset.ts `shard`);
 * - when fit/fitDataset starts, rank 0's weights are broadcast, so random initialisation does not
 *   matter;
 * - the optimizer's `applyGradients` first replaces the local gradients with their mean over the
 *   replicas, weighted by the rows each one trained on (so it equals the gradient of the global
 *   batch), identical in every replica: every replica takes the same step;
 * - at the end of each epoch the epoch's metrics are averaged the same way (so logs, checkpoints,
 *   early stopping and the Tuner see the global values), and non-trainable weights (e.g. batch
 *   norm statistics, which no gradient updates) are averaged so they stay identical too.
 */
import * as tf from '@tensorflow/tfjs';
import { EXCHANGE, type ReplicaGroup } from '../../ml/all-reduce.ts';
import { callbackObjects } from '../../ml/callback-objects.ts';
import { FusedOptimizer, fusedSupport } from '../../ml/fused-optimizer.ts';
import type { RawGradientStep } from '../../ml/compiled-step/train-step.ts';
import type { StepTimer } from './step-profile.ts';

/** Rows handed out by a sharded dataset: the running total and the last batch. */
export class RowCounter {
  total = 0;
  last = 0;
  add(rows: number): void {
    this.total += rows;
    this.last = rows;
  }
}

export interface ReplicaCounters {
  train: RowCounter;
  eval: RowCounter;
}

type Grads = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];
type Callbacks = tf.CustomCallbackArgs | tf.CustomCallbackArgs[] | tf.Callback | tf.Callback[] | undefined;

const wrapped = new WeakSet<object>();

/** Rank 0's values of `variables`, written into every replica's. */
function broadcastVariables(group: ReplicaGroup, variables: tf.LayerVariable[]): void {
  const values = flatten(variables.map((v) => v.read()));
  const shared = group.broadcast(EXCHANGE.weights, values);
  writeFlat(variables, shared);
}

/** The weighted mean of `variables` over the replicas, written back (same in every replica). */
function averageVariables(group: ReplicaGroup, variables: tf.LayerVariable[]): void {
  if (!variables.length) return;
  const mean = group.weightedMean(EXCHANGE.state, flatten(variables.map((v) => v.read())), 1);
  writeFlat(variables, mean);
}

function flatten(tensors: tf.Tensor[]): Float64Array {
  const out = new Float64Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    // Synchronous read: the all-reduce runs inside tfjs's synchronous optimizer step (cpu, wasm
    // and tfjs-node read synchronously; webgpu in Node cannot, which resolveWorkers rules out).
    out.set(t.dataSync(), at);
    at += t.size;
  }
  return out;
}

function writeFlat(variables: tf.LayerVariable[], values: Float64Array): void {
  let at = 0;
  for (const v of variables) {
    const n = tf.util.sizeFromShape(v.shape as number[]);
    const part = values.subarray(at, at + n);
    const t = tf.tensor(v.dtype === 'int32' ? Int32Array.from(part) : Float32Array.from(part), v.shape as number[], v.dtype);
    v.write(t);
    t.dispose();
    at += n;
  }
}

/** Where the trainer says which optimizer step it runs (rank 0 only: every replica runs the same). */
export interface StepLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * The fused optimizer step (fused-optimizer.ts: one pass per variable over the float32 gradient
 * arrays, tfjs's arithmetic) where the optimizer and backend allow it; undefined where tfjs's own
 * applyGradients must run. Says which, once.
 */
function fusedStep(optimizer: tf.Optimizer, timer: StepTimer, log: StepLog | undefined): ((names: string[], grads: Float32Array[]) => void) | undefined {
  const support = fusedSupport(optimizer);
  if (!support.fused) {
    if (support.why === 'backend') log?.info(`optimizer step: tfjs's own (${support.reason})`);
    else log?.warn(`optimizer step: tfjs's own (${support.reason}), several tfjs kernels per variable and step`);
    return undefined;
  }
  log?.info(`optimizer step: ${support.name}, fused (one pass per variable over float32 arrays instead of tfjs's kernels; the same arithmetic)`);
  const fused = new FusedOptimizer(optimizer);
  return (names, grads) => timer.time('apply', () => fused.apply(names, grads));
}

const gradList = (grads: Grads) => (Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));

/**
 * The optimizer step each wrapped optimizer takes for gradients already held as host arrays (the
 * compiled train step's), so they need no tensors: the same all-reduce and update as below.
 */
const rawSteps = new WeakMap<tf.Optimizer, RawGradientStep>();

/** The host-array optimizer step installed on `optimizer` (hostOptimizerSteps or replicateFit), if any. */
export function rawGradientStep(optimizer: tf.Optimizer): RawGradientStep | undefined {
  return rawSteps.get(optimizer);
}

/** tfjs's own applyGradients on host arrays (optimizers the fused step does not know). */
function tensorStep(apply: (grads: Grads) => void, timer: StepTimer): RawGradientStep {
  return (names, grads, shapes) => {
    const named = timer.time('unflatten', () => names.map((name, i) => ({ name, tensor: tf.tensor(grads[i], shapes[i], 'float32') })));
    try {
      timer.time('apply', () => apply(named));
    } finally {
      tf.dispose(named.map((g) => g.tensor));
    }
  };
}

/** Runs an exchange timed as `reduce`, less the barrier's wait for the slowest replica (timed as `wait`). */
function timeExchange(group: ReplicaGroup, timer: StepTimer, run: () => void): void {
  const waited = group.waitMs;
  timer.time('reduce', run);
  const wait = group.waitMs - waited;
  timer.add('reduce', -wait);
  timer.add('wait', wait);
}

/** `kept` if its arrays have `like`'s lengths, else new ones: output arrays kept from step to step. */
function sizedLike(kept: Float32Array[], like: Float32Array[]): Float32Array[] {
  return kept.length === like.length && kept.every((k, i) => k.length === like[i].length) ? kept : like.map((l) => new Float32Array(l.length));
}

/** Splits `n` flat positions into `count` contiguous shares, one per replica. */
export function shares(n: number, count: number): [number, number][] {
  return Array.from({ length: count }, (_, r) => [Math.floor((r * n) / count), Math.floor(((r + 1) * n) / count)]);
}

/** What each replica's optimizer does at the end of an epoch (a sharded step gathers its state there). */
const epochSyncs = new WeakMap<tf.Optimizer, () => void>();

/**
 * The sharded fused step: each replica averages the gradients of its share of the weights only,
 * updates that share (and its optimizer state), and the shares are then gathered, so every replica
 * ends with the same weights as the unsharded step, bit for bit, for 1/count of the averaging and
 * update work. The optimizer state stays sharded between epochs and is gathered at each epoch's
 * end, before anyone (a checkpoint) reads it.
 */
function shardedStep(group: ReplicaGroup, optimizer: tf.Optimizer, counters: ReplicaCounters, timer: StepTimer, log: StepLog | undefined): RawGradientStep | undefined {
  const support = fusedSupport(optimizer);
  if (!support.fused) return undefined;
  log?.info(`optimizer step: ${support.name}, fused and sharded over ${group.count} replicas (each averages and updates 1/${group.count} of the weights; one pass per variable over float32 arrays; the same arithmetic as tfjs's)`);
  const fused = new FusedOptimizer(optimizer);
  let means: Float32Array[] = [];
  let weights: Float32Array[] = [];
  let split: [number, number][] | undefined;
  epochSyncs.set(optimizer, () => {
    if (!split) return;
    for (const slot of fused.stateArrays()) group.gatherShares(EXCHANGE.optimizerShares, slot, split);
  });
  return (names, local) => {
    const sized = sizedLike(means, local);
    if (sized !== means || !split) {
      means = sized;
      split = shares(
        local.reduce((n, l) => n + l.length, 0),
        group.count,
      );
    }
    const [from, to] = split[group.rank];
    timeExchange(group, timer, () => group.weightedMeanShare(EXCHANGE.gradients, local, counters.train.last, means, from, to));
    timer.time('apply', () => {
      weights = FusedOptimizer.readVariables(names, weights);
      fused.updateShare(names, weights, means, from, to);
    });
    timeExchange(group, timer, () => group.gatherShares(EXCHANGE.weightShares, weights, split!));
    timer.time('apply', () => FusedOptimizer.writeVariables(names, weights));
  };
}

/** Makes the optimizer average gradients over the replicas before each step. */
function allReduceGradients(group: ReplicaGroup, optimizer: tf.Optimizer, counters: ReplicaCounters, timer: StepTimer, log: StepLog | undefined): void {
  if (wrapped.has(optimizer)) return;
  wrapped.add(optimizer);
  const apply = optimizer.applyGradients.bind(optimizer);
  const sharded = shardedStep(group, optimizer, counters, timer, group.rank === 0 ? log : undefined);
  let step: RawGradientStep;
  if (sharded) {
    step = sharded;
  } else {
    const fused = fusedStep(optimizer, timer, group.rank === 0 ? log : undefined);
    const update = fused ?? tensorStep(apply, timer);
    // The averaged gradients' arrays, kept from step to step (the update reads them before the next exchange).
    let means: Float32Array[] = [];
    step = (names, local, shapes) => {
      means = sizedLike(means, local);
      timeExchange(group, timer, () => group.weightedMeanParts(EXCHANGE.gradients, local, counters.train.last, means));
      update(names, means, shapes);
    };
  }
  rawSteps.set(optimizer, step);
  optimizer.applyGradients = (grads: Grads) => {
    const list = gradList(grads);
    // Synchronous reads: see flatten.
    const local = timer.time('flatten', () => list.map((g) => g.tensor.dataSync() as Float32Array));
    step(
      list.map((g) => g.name),
      local,
      list.map((g) => g.tensor.shape),
    );
  };
}

/** One worker: the optimizer step replicas take (fused where it can be), timed (step-profile.ts). */
export function hostOptimizerSteps(optimizer: tf.Optimizer, timer: StepTimer, log?: StepLog): void {
  if (wrapped.has(optimizer)) return;
  wrapped.add(optimizer);
  const apply = optimizer.applyGradients.bind(optimizer);
  const fused = fusedStep(optimizer, timer, log);
  rawSteps.set(optimizer, fused ?? tensorStep(apply, timer));
  optimizer.applyGradients = (grads: Grads) => {
    if (!fused) return timer.time('apply', () => apply(grads));
    const list = gradList(grads);
    // Synchronous reads: the fused step runs on cpu and wasm only, which read synchronously.
    const local = timer.time('flatten', () => list.map((g) => g.tensor.dataSync() as Float32Array));
    fused(
      list.map((g) => g.name),
      local,
    );
  };
}

/** Averages the epoch's logs (train metrics by train rows, val_ metrics by eval rows) in place. */
function reduceEpochLogs(group: ReplicaGroup, logs: tf.Logs, trainRows: number, evalRows: number): void {
  const keys = Object.keys(logs)
    .filter((k) => typeof logs[k] === 'number')
    .sort();
  const train = keys.filter((k) => !k.startsWith('val_'));
  const val = keys.filter((k) => k.startsWith('val_'));
  const t = group.weightedMean(EXCHANGE.trainMetrics, train.map((k) => logs[k] as number), trainRows);
  train.forEach((k, i) => (logs[k] = t[i]));
  if (val.length) {
    const v = group.weightedMean(EXCHANGE.evalMetrics, val.map((k) => logs[k] as number), evalRows);
    val.forEach((k, i) => (logs[k] = v[i]));
  }
}

/** Metrics of one evaluation pass over this replica's eval shard → the global values. */
export function reduceEvalMetrics(group: ReplicaGroup, metrics: Record<string, number>, rows: number): Record<string, number> {
  const keys = Object.keys(metrics).sort();
  const mean = group.weightedMean(EXCHANGE.evalMetrics, keys.map((k) => metrics[k]), rows);
  return Object.fromEntries(keys.map((k, i) => [k, mean[i]]));
}

/**
 * Prepares one fit/fitDataset call of this replica: same starting weights, averaged gradients,
 * and a first callback that averages each epoch's logs before anyone else (ctx.callbacks, the
 * user's own, tfjs's History) sees them. Returns the arguments to call tfjs with.
 */
export function replicateFit<A extends { callbacks?: Callbacks }>(group: ReplicaGroup, model: tf.LayersModel, args: A | undefined, counters: ReplicaCounters, timer: StepTimer, log?: StepLog): A {
  if (!model.optimizer) return (args ?? {}) as A; // tfjs itself reports the uncompiled model
  broadcastVariables(group, model.weights);
  allReduceGradients(group, model.optimizer, counters, timer, log);
  let trainAtStart = 0;
  let evalAtStart = 0;
  const sync = new tf.CustomCallback({
    onEpochBegin: async () => {
      trainAtStart = counters.train.total;
      evalAtStart = counters.eval.total;
    },
    onEpochEnd: async (_epoch, logs) =>
      timer.time('epochEnd', () => {
        if (logs) reduceEpochLogs(group, logs, counters.train.total - trainAtStart, counters.eval.total - evalAtStart);
        averageVariables(group, model.nonTrainableWeights);
        // A sharded optimizer's state, whole again in every replica before a checkpoint reads it.
        epochSyncs.get(model.optimizer)?.();
      }),
  }) as unknown as tf.Callback;
  return { ...(args ?? ({} as A)), callbacks: [sync, ...callbackObjects(args?.callbacks)] };
}
