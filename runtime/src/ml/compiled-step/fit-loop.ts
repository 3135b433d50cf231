/**
 * fitDataset's loop, owned by the runtime, for a model with a compiled step (train-step.ts) fed by
 * a dataset of the runtime's (dataset.ts): each batch goes from the dataset's host arrays into the
 * step with no tensor made, and the loss and metrics come back as numbers. tfjs's own loop makes
 * a tensor per input column, runs tf.data's iterator, and keeps running sums of the logs as
 * tensors, per step: that work is the same whatever the batch's size, so with data-parallel
 * replicas (each with a share of the batch) it was paid once per replica, and its garbage kept
 * V8's helper threads busy on the cores the replicas need.
 *
 * What fit's caller sees is tfjs's: the same callbacks in the same order (tfjs's CallbackList and
 * History), batch logs {batch, size, loss, metrics…}, epoch logs averaged over the epoch's rows,
 * validation on the validation dataset with tfjs's evaluateDataset, model.stopTraining, the
 * History returned. Calls it does not cover (class weights, batchesPerEpoch, validation data
 * given as tensors) go to tfjs's fitDataset.
 *
 * Per batch it calls only the hooks that do something (batchHooks): tfjs's CallbackList awaits
 * every callback's async hook, no-ops included, through its generator-compiled async code, which
 * V8 then optimises again in every replica's isolate while the replicas train.
 */
import * as tf from '@tensorflow/tfjs';
import { callbackObjects } from '../callback-objects.ts';
import type { HostBatch } from '../dataset.ts';
import type { CompiledStep } from './train-step.ts';

type FitArgs = tf.ModelFitDatasetArgs<unknown>;

/** A callback whose per-batch hooks are synchronous: the loop calls these instead of its async ones. */
export interface SyncBatchHooks {
  syncBatchBegin(batch: number, logs: tf.Logs): void;
  syncBatchEnd(batch: number, logs: tf.Logs): void;
}

type BatchHook = (batch: number, logs: tf.Logs) => void | Promise<void>;

/** tfjs's base class of every callback, whose hooks do nothing. */
const BASE_CALLBACK = Object.getPrototypeOf(tf.Callback.prototype) as Record<string, unknown>;

/** How often the loop yields to the event loop, as tfjs's CustomCallback does by default (ms). */
const YIELD_EVERY_MS = 125;

interface CustomCallbackFields {
  batchBegin?: unknown;
  batchEnd?: unknown;
  yield?: unknown;
  yieldEvery?: unknown;
}

/**
 * The callbacks' `onBatchBegin` or `onBatchEnd` hooks that do something, in order: not tfjs's
 * no-op base hooks (History's), not a CustomCallback's without a batch function (whose only work,
 * a yield to the event loop now and then, the loop does itself), and the synchronous hooks of
 * SyncBatchHooks callbacks.
 */
export function batchHooks(callbacks: tf.Callback[], which: 'onBatchBegin' | 'onBatchEnd'): BatchHook[] {
  const hooks: BatchHook[] = [];
  const syncName = which === 'onBatchBegin' ? 'syncBatchBegin' : 'syncBatchEnd';
  for (const c of callbacks) {
    const sync = (c as unknown as Partial<SyncBatchHooks>)[syncName];
    if (typeof sync === 'function') {
      hooks.push(sync.bind(c));
      continue;
    }
    const hook = (c as unknown as Record<string, unknown>)[which];
    if (hook === BASE_CALLBACK[which]) continue;
    if (c instanceof tf.CustomCallback) {
      const f = c as unknown as CustomCallbackFields;
      const fn = which === 'onBatchBegin' ? f.batchBegin : f.batchEnd;
      const yieldsOnly = which === 'onBatchBegin' || (f.yield == null && f.yieldEvery !== 'batch');
      if (fn == null && yieldsOnly) continue;
    }
    hooks.push((hook as BatchHook).bind(c));
  }
  return hooks;
}

/** Calls the hooks in order, awaiting only those that return a promise. */
async function callHooks(hooks: BatchHook[], batch: number, logs: tf.Logs): Promise<void> {
  for (const hook of hooks) {
    const done = hook(batch, logs);
    if (done) await done;
  }
}

interface TrainingModel {
  isTraining: boolean;
  stopTraining: boolean;
  history: tf.History;
  metricsNames: string[];
}

/** Why tfjs's loop must run this call instead (undefined: the owned loop can). */
export function ownedLoopRefusal(args: FitArgs | undefined): string | undefined {
  if (!args) return 'no arguments';
  if (args.classWeight !== undefined) return 'class weights';
  if (args.batchesPerEpoch !== undefined) return 'batchesPerEpoch';
  if (args.validationData !== undefined && !(args.validationData instanceof tf.data.Dataset)) return 'validation data given as tensors';
  if (!Number.isInteger(args.epochs) || args.epochs < 1) return 'epochs is not a positive integer';
  return undefined;
}

/**
 * Trains `model` on `pass` (one epoch of host batches per call) with `step`, as fitDataset would.
 * The first batch the step does not take (another dtype, a missing column) is an error: the plan
 * was checked against the dataset's columns before.
 */
export async function fitOwned(model: tf.LayersModel, step: CompiledStep, pass: () => Iterator<HostBatch>, args: FitArgs): Promise<tf.History> {
  const m = model as unknown as TrainingModel;
  if (m.isTraining) throw new Error('Cannot start training because another fit() call is ongoing.');
  m.isTraining = true;
  try {
    const names = m.metricsNames;
    const validation = args.validationData as Parameters<tf.LayersModel["evaluateDataset"]>[0] | undefined;
    const history = new tf.History();
    const callbacks = [...callbackObjects(args.callbacks, args.yieldEvery), history as unknown as tf.Callback];
    const list = new tf.CallbackList(callbacks as never[]);
    // The params tfjs's fitDataset gives its callbacks (no sample or step counts: a dataset's length is unknown).
    list.setParams({ epochs: args.epochs, initialEpoch: args.initialEpoch ?? 0, samples: null, steps: null, batchSize: null, verbose: args.verbose ?? 1, doValidation: !!validation, metrics: validation ? [...names, ...names.map((n) => `val_${n}`)] : [...names] } as unknown as tf.Logs);
    list.setModel(model);
    m.history = history;
    await list.onTrainBegin();
    m.stopTraining = false;
    const beginHooks = batchHooks(callbacks, 'onBatchBegin');
    const endHooks = batchHooks(callbacks, 'onBatchEnd');
    let yieldedAt = performance.now();
    for (let epoch = args.initialEpoch ?? 0; epoch < args.epochs; epoch++) {
      await list.onEpochBegin(epoch);
      const sums = names.map(() => 0);
      let rows = 0;
      let index = 0;
      const batches = pass();
      let next = batches.next();
      for (; !next.done; next = batches.next()) {
        const batch = next.value;
        const logs: tf.Logs = { batch: index, size: batch.size };
        if (beginHooks.length) await callHooks(beginHooks, index, logs);
        const values = step.runHost(batch.features, batch.label, batch.size);
        if (!values) throw new Error(`compiled train step: batch ${index} of epoch ${epoch + 1} does not fit the model's inputs`);
        values.forEach((v, i) => {
          logs[names[i]] = v;
          sums[i] += v * batch.size;
        });
        rows += batch.size;
        if (endHooks.length) await callHooks(endHooks, index, logs);
        if (performance.now() - yieldedAt > YIELD_EVERY_MS) {
          await tf.nextFrame();
          yieldedAt = performance.now();
        }
        index++;
        if (m.stopTraining) break;
      }
      // tfjs validates only after a whole pass: a stop mid-epoch skips it.
      const passed = !!next.done;
      // As tfjs's BaseLogger: each value averaged over the epoch's rows.
      const epochLogs: tf.Logs = {};
      if (rows > 0) names.forEach((n, i) => (epochLogs[n] = sums[i] / rows));
      if (validation && passed) {
        const result = await model.evaluateDataset(validation, args.validationBatches === undefined ? {} : { batches: args.validationBatches });
        const scalars = Array.isArray(result) ? result : [result];
        const numbers = await Promise.all(scalars.map(async (s) => (await s.data())[0]));
        tf.dispose(scalars);
        names.forEach((n, i) => (epochLogs[`val_${n}`] = numbers[i]));
      }
      await list.onEpochEnd(epoch, epochLogs);
      if (m.stopTraining) break;
    }
    await list.onTrainEnd();
    await history.syncData();
    return history;
  } finally {
    m.isTraining = false;
  }
}
