/**
 * The worker-side half of training, shared by the Trainer and the Tuner's trials: select the
 * backend, load the transform graph, stream the datasets, call the user's function with a
 * RunFnContext, and log per-epoch metrics (console → node log, metrics.jsonl, TensorBoard).
 * Runs inside a dedicated worker thread, so each run has its own tfjs backend.
 */
import { parentPort } from 'node:worker_threads';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Schema } from '../../formats/schema.ts';
import { SCHEMA_FILE } from '../../formats/schema.ts';
import { UserError } from '../../core/errors.ts';
import type { HyperParameters, OutputFeature, RunFnContext, TransformGraph } from '../../ml/api.ts';
import { type BackendRequest, type BackendSelection, embeddingsTrain, selectBackend } from '../../ml/backend.ts';
import { makeDataset } from '../../ml/dataset.ts';
import { EventFileWriter } from '../../ml/tensorboard.ts';
import { loadTransformGraph } from '../../ml/transform-graph.ts';
import '../../ml/layers.ts';
import { readCheckpointMeta, restoreCheckpoint, saveCheckpoint, warmStartFrom } from './checkpoint.ts';
import { ReplicaGroup } from '../../ml/all-reduce.ts';
import { reduceEvalMetrics, hostOptimizerSteps, rawGradientStep, replicateFit, type ReplicaCounters, RowCounter } from './data-parallel.ts';
import { compiledFitDataset, installCompiledStep } from '../../ml/compiled-step/install.ts';
import type { SyncBatchHooks } from '../../ml/compiled-step/fit-loop.ts';
import { callbackObjects } from '../../ml/callback-objects.ts';
import { type StepProfile, StepTimer } from './step-profile.ts';
import { numericBatchLogs } from './batch-logs.ts';

export interface SessionArgs {
  backend: BackendRequest;
  transformGraphUri: string;
  schemaUri?: string;
  trainShards: string[];
  evalShards: string[];
  label?: string;
  hyperparameters: HyperParameters;
  epochs: number;
  trainSteps?: number;
  evalSteps?: number;
  batchSize: number;
  shuffleBuffer: number;
  seed: number;
  /** metrics.jsonl and TensorBoard events go here. */
  logDir: string;
  /** Save a checkpoint here after every epoch, and resume from the one found here (checkpoint.ts). */
  checkpointDir?: string;
  /** Warm start: before training, the weights of this bundle that match the model's by name and shape. */
  baseModelDir?: string;
  /** Data-parallel training: this worker is replica `rank` of `count` sharing `buffer` (data-parallel.ts). */
  replica?: ReplicaArgs;
}

export interface ReplicaArgs {
  rank: number;
  count: number;
  buffer: SharedArrayBuffer;
}

export interface EpochRecord {
  epoch: number;
  [metric: string]: number;
}

export interface Session {
  selection: BackendSelection;
  graph: TransformGraph;
  inputFeatures: OutputFeature[];
  label: string;
  ctx: RunFnContext;
  history: EpochRecord[];
  /** The replica group of a data-parallel training (undefined with one worker). */
  group?: ReplicaGroup;
  /** Loss and metrics on the eval split (`eval_` names); with replicas, over every replica's share. */
  evaluate(model: tf.LayersModel): Promise<Record<string, number>>;
  /** Examples seen in training batches and the seconds spent from first to last batch. */
  throughput(): { examples: number; seconds: number };
  /** Where this worker's training time went (step-profile.ts). */
  profile(): StepProfile;
  close(): void;
}

/** What the training worker posts after each epoch. */
export interface EpochProgress {
  epoch: number;
  epochs: number;
  metrics: Record<string, number>;
}

/** Logs from a worker thread reach the node's log through runInWorker's console forwarding. */
const consoleLog = {
  info: (m: string) => console.log(m),
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
/** Replicas other than rank 0 say only what went wrong: rank 0 speaks for the training. */
const quietLog = { ...consoleLog, info: () => undefined };

function readSchema(uri: string | undefined): Schema | undefined {
  if (!uri) return undefined;
  const file = join(uri, SCHEMA_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Schema;
}

/** Keras's TensorBoard callback names: train/epoch_loss, validation/epoch_loss. */
function splitLogs(logs: Record<string, number>): { train: Record<string, number>; validation: Record<string, number> } {
  const train: Record<string, number> = {};
  const validation: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs)) {
    if (typeof v !== 'number') continue;
    if (k.startsWith('val_')) validation[`epoch_${k.slice(4)}`] = v;
    else train[`epoch_${k}`] = v;
  }
  return { train, validation };
}

export interface SessionHooks {
  /** Called after each epoch; 'stop' ends training early (sets model.stopTraining). */
  onEpoch?: (record: EpochRecord) => 'continue' | 'stop' | void;
}

export async function openSession(args: SessionArgs, extra: SessionHooks = {}): Promise<Session> {
  const replica = args.replica;
  const lead = !replica || replica.rank === 0;
  const workerLog = lead ? consoleLog : quietLog;
  const selection = await selectBackend(args.backend, workerLog);
  if (replica && selection.name === 'webgpu') {
    throw new UserError('workers > 1 cannot train on webgpu: the gradient all-reduce reads tensors synchronously, which webgpu in Node cannot; set workers: 1 or backend: wasm', { field: 'workers' });
  }
  const group = replica && new ReplicaGroup(replica.buffer, replica.rank, replica.count);
  const counters: ReplicaCounters = { train: new RowCounter(), eval: new RowCounter() };
  const timer = new StepTimer();
  const shard = replica && { index: replica.rank, count: replica.count };
  const graph = await loadTransformGraph(args.transformGraphUri);
  const label = args.label ?? graph.json.label;
  if (!label) throw new UserError('The transform graph names no label: set the Trainer parameter "label"', { field: 'label' });
  if (!graph.json.outputFeatures.some((f) => f.name === label)) {
    throw new UserError(`Label "${label}" is not an output of the transform graph (${graph.json.outputFeatures.map((f) => f.name).join(', ')})`, {
      field: 'label',
    });
  }
  const inputFeatures = graph.json.outputFeatures.filter((f) => f.name !== label);
  if (args.trainShards.length === 0) throw new UserError('The train split has no shards');
  if (args.evalShards.length === 0) throw new UserError('The eval split has no shards');
  const features = inputFeatures.map((f) => ({ name: f.name, dtype: f.dtype }));
  const resume = args.checkpointDir ? readCheckpointMeta(args.checkpointDir) : undefined;
  /** Epochs already done by an earlier, interrupted attempt (0 without a checkpoint). */
  const startEpoch = resume ? Math.min(resume.epoch, args.epochs) : 0;
  const train_dataset = makeDataset(tf, {
    shards: args.trainShards,
    features,
    label,
    batchSize: args.batchSize,
    shuffle: true,
    shuffleBuffer: args.shuffleBuffer,
    // A resumed run does not replay the first epochs' shuffles.
    seed: args.seed + startEpoch,
    steps: args.trainSteps,
    shard,
    onBatch: (rows) => counters.train.add(rows),
    measure: (make) => timer.time('input', make),
  });
  const eval_dataset = makeDataset(tf, { shards: args.evalShards, features, label, batchSize: args.batchSize, steps: args.evalSteps, shard, onBatch: (rows) => counters.eval.add(rows) });

  mkdirSync(args.logDir, { recursive: true });
  const metricsFile = join(args.logDir, 'metrics.jsonl');
  // Only rank 0 writes logs and checkpoints: every replica has the same weights and (averaged) metrics.
  const tb = lead ? { train: new EventFileWriter(join(args.logDir, 'train')), validation: new EventFileWriter(join(args.logDir, 'validation')) } : undefined;
  const history: EpochRecord[] = resume ? resume.history.slice(0, startEpoch) : [];
  const meter = new BatchMeter(timer);
  const restoreBatchLogs = numericBatchLogs(selection.name);
  const compiled: { dispose(): void }[] = [];
  const fitted = trackFittedModel(<A extends FitCallbacks>(model: tf.LayersModel, fitArgs: A | undefined): A => {
    const prepared = group ? replicateFit(group, model, fitArgs, counters, timer, workerLog) : fitArgs ?? ({} as A);
    if (!group && model.optimizer) hostOptimizerSteps(model.optimizer, timer, workerLog);
    if (model.optimizer) {
      const step = installCompiledStep(model, rawGradientStep(model.optimizer), workerLog);
      if (step) compiled.push(step);
    }
    return withLastCallback(prepared, meter);
  }, (model, dataset, fitArgs) => compiledFitDataset(model, dataset, fitArgs, workerLog));
  /** Per epoch: history, metrics.jsonl, TensorBoard, progress, checkpoint (rank 0), early stop. */
  const endEpoch = async (fitEpoch: number, logs?: tf.Logs) => {
    const epoch = fitEpoch + startEpoch;
    const metrics = Object.fromEntries(Object.entries(logs ?? {}).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    const record: EpochRecord = { epoch, ...metrics };
    history.push(record);
    if (!lead) {
      if (extra.onEpoch?.(record) === 'stop' && fitted.model) fitted.model.stopTraining = true;
      return;
    }
    appendFileSync(metricsFile, `${JSON.stringify({ ...record, time: new Date().toISOString() })}\n`);
    const { train, validation } = splitLogs(metrics);
    tb?.train.scalars(epoch, train);
    tb?.validation.scalars(epoch, validation);
    // Live progress for the editor (epoch and metrics so far): the worker's parent forwards it.
    parentPort?.postMessage({ type: 'progress', value: { epoch: epoch + 1, epochs: args.epochs, metrics } satisfies EpochProgress });
    workerLog.info(`epoch ${epoch + 1}/${args.epochs}: ${Object.entries(metrics).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(' ')}`);
    if (args.checkpointDir && fitted.model) await saveCheckpoint(args.checkpointDir, fitted.model, { epoch: epoch + 1, epochs: args.epochs, history });
    if (extra.onEpoch?.(record) === 'stop') {
      if (fitted.model) fitted.model.stopTraining = true;
      else workerLog.warn('early stop requested, but no model is being fitted');
    }
  };
  const callbacks: tf.CustomCallbackArgs = {
    // Resume or warm start once run_fn has built and compiled its model, before the first step.
    onTrainBegin: async () => {
      const model = fitted.model;
      if (model && resume && args.checkpointDir) {
        try {
          await restoreCheckpoint(args.checkpointDir, model, resume);
        } catch (e) {
          rmSync(args.checkpointDir, { recursive: true, force: true });
          throw new UserError(`The checkpoint in ${args.checkpointDir} does not fit the model run_fn built (${(e as Error).message}); it was removed, run again to start over`);
        }
        workerLog.info(`resumed from the checkpoint after epoch ${startEpoch}/${args.epochs} (saved ${resume.savedAt}): weights and optimizer state restored, ${args.epochs - startEpoch} epoch(s) to go`);
      } else if (model && args.baseModelDir) {
        const { set, of } = await warmStartFrom(args.baseModelDir, model);
        workerLog.info(`warm start from the base model: ${set} of ${of} weights taken (those matching by name and shape)`);
      }
    },
    // Nothing per batch here: a config's batch callbacks cost an awaited read of every batch's
    // loss and metrics (tfjs resolves them for it); the fit wrapper's BatchMeter counts the batches.
    // A plain function: tfjs calls it as a method of its CustomCallback, whose `model` is the one being fitted.
    onEpochEnd: async (fitEpoch: number, logs?: tf.Logs) => {
      timer.markEpoch();
      const t0 = performance.now();
      try {
        await endEpoch(fitEpoch, logs);
      } finally {
        timer.add('epochEnd', performance.now() - t0);
      }
    },
  };

  const ctx: RunFnContext = {
    tf,
    backend: selection.tfBackend,
    supports: { embeddings: embeddingsTrain() },
    train_dataset,
    eval_dataset,
    input_features: inputFeatures,
    label,
    schema: readSchema(args.schemaUri),
    transform_graph: graph,
    hyperparameters: args.hyperparameters,
    train_steps: args.trainSteps,
    eval_steps: args.evalSteps,
    // What is left to do: run_fn passes ctx.epochs to fitDataset, so a resumed run does the rest.
    epochs: args.epochs - startEpoch,
    batch_size: args.batchSize,
    log_dir: args.logDir,
    log: workerLog,
    callbacks,
    signal: new AbortController().signal, // the worker is terminated on timeout/cancel
  };
  return {
    selection,
    graph,
    inputFeatures,
    label,
    ctx,
    history,
    group,
    evaluate: async (model) => {
      const before = counters.eval.total;
      const metrics = await evaluateOn(model, eval_dataset);
      return group ? reduceEvalMetrics(group, metrics, counters.eval.total - before) : metrics;
    },
    throughput: () => meter.throughput(),
    profile: () => timer.result(),
    close: () => {
      fitted.release();
      for (const step of compiled.splice(0)) step.dispose();
      restoreBatchLogs();
      timer.close();
      tb?.train.close();
      tb?.validation.close();
    },
  };
}

/** Data-parallel replicas adjust each fit call's arguments (and sync the model) before it starts. */
type FitCallbacks = { callbacks?: tf.ModelFitArgs['callbacks']; yieldEvery?: tf.ModelFitArgs['yieldEvery'] };

/**
 * Per batch of every fit: examples, the span from the first to the last batch, and the timer's
 * steps; the training span starts (`timer.begin`) at the start of the fit, after the other
 * callbacks' onTrainBegin (a checkpoint's restore). A callback object that reads only the batch's
 * size: tfjs gives a config's onBatchEnd its logs only after reading every loss and metric
 * tensor to a number (an awaited read, each batch).
 */
export class BatchMeter extends tf.Callback implements SyncBatchHooks {
  private examples = 0;
  private firstBatchAt?: number;
  private lastBatchAt = 0;

  constructor(private readonly timer: StepTimer) {
    super();
  }

  override async onTrainBegin(): Promise<void> {
    this.timer.begin();
  }

  override async onBatchBegin(): Promise<void> {
    this.syncBatchBegin();
  }

  override async onBatchEnd(batch: number, logs?: tf.Logs): Promise<void> {
    this.syncBatchEnd(batch, logs);
  }

  /** The runtime's loop (fit-loop.ts) calls these directly, without a promise per batch. */
  syncBatchBegin(): void {
    this.firstBatchAt ??= performance.now();
  }

  syncBatchEnd(_batch: number, logs?: tf.Logs): void {
    this.examples += (logs?.size as number | undefined) ?? 0;
    this.lastBatchAt = performance.now();
    this.timer.step();
  }

  override async onTrainEnd(): Promise<void> {
    this.timer.finish();
  }

  /** Examples seen in training batches and the seconds from the first batch to the last. */
  throughput(): { examples: number; seconds: number } {
    return { examples: this.examples, seconds: this.firstBatchAt === undefined ? 0 : (this.lastBatchAt - this.firstBatchAt) / 1000 };
  }
}

/**
 * The fit's callbacks with `last` after them. tfjs takes either callback objects or configs, not a
 * mix: configs become the CustomCallbacks tfjs would make of them (with the fit's yieldEvery).
 */
export function withLastCallback<A extends FitCallbacks>(args: A, last: tf.Callback): A {
  return { ...args, callbacks: [...callbackObjects(args.callbacks, args.yieldEvery), last] };
}
type PrepareFit = <A extends FitCallbacks>(model: tf.LayersModel, args: A | undefined) => A;
/** The runtime's own fitDataset loop for this call, or undefined for tfjs's. */
type OwnLoop = (model: tf.LayersModel, dataset: object, args: tf.ModelFitDatasetArgs<unknown>) => Promise<tf.History> | undefined;

/**
 * The model run_fn is fitting. tfjs gives plain callback objects no model (CustomCallback's
 * setModel does nothing), so fit and fitDataset are wrapped, in this training's own worker
 * thread, to note it; `release` undoes the wrapping.
 */
function trackFittedModel(prepare: PrepareFit, ownLoop: OwnLoop): { readonly model: tf.LayersModel | undefined; release(): void } {
  const proto = tf.LayersModel.prototype;
  const { fit, fitDataset } = proto;
  let model: tf.LayersModel | undefined;
  const note = (m: tf.LayersModel) => void (model = m);
  proto.fit = function (this: tf.LayersModel, x: Parameters<typeof fit>[0], y: Parameters<typeof fit>[1], fitArgs?: Parameters<typeof fit>[2]) {
    note(this);
    return fit.call(this, x, y, prepare(this, fitArgs));
  };
  proto.fitDataset = function (this: tf.LayersModel, dataset: Parameters<typeof fitDataset>[0], fitArgs: Parameters<typeof fitDataset>[1]) {
    note(this);
    const prepared = prepare(this, fitArgs);
    return (ownLoop(this, dataset, prepared) ?? fitDataset.call(this, dataset, prepared)) as ReturnType<typeof fitDataset>;
  } as typeof fitDataset;
  return {
    get model() {
      return model;
    },
    release: () => {
      proto.fit = fit;
      proto.fitDataset = fitDataset;
    },
  };
}

/** The model's task from its output: 1 sigmoid unit → binary, >1 units → multiclass, else regression. */
export function inferTask(model: tf.LayersModel): 'binary' | 'multiclass' | 'regression' {
  const units = model.outputs[0].shape[model.outputs[0].shape.length - 1] ?? 1;
  if (units > 1) return 'multiclass';
  const last = model.layers[model.layers.length - 1];
  const activation = (last.getConfig() as { activation?: string }).activation;
  return activation === 'sigmoid' ? 'binary' : 'regression';
}

/** Loss and compiled metrics of the model on a dataset, named as in fit's logs (prefix `eval_`). */
export async function evaluateOn(model: tf.LayersModel, dataset: tf.data.Dataset<tf.TensorContainer>): Promise<Record<string, number>> {
  const result = await model.evaluateDataset(dataset as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>, {});
  const scalars = Array.isArray(result) ? result : [result];
  const names = model.metricsNames.length === scalars.length ? model.metricsNames : scalars.map((_, i) => (i === 0 ? 'loss' : `metric_${i}`));
  const out: Record<string, number> = {};
  // Read asynchronously: a synchronous read is unsupported on the webgpu backend in Node (it needs OffscreenCanvas).
  const values = await Promise.all(scalars.map((s) => s.data()));
  scalars.forEach((s, i) => {
    out[`eval_${names[i]}`] = values[i][0];
    s.dispose();
  });
  return out;
}
