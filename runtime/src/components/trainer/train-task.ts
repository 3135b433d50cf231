/**
 * The Trainer's worker task: runs in a dedicated worker thread (runInWorker through the pool
 * worker's dispatcher), so the node's timeout can terminate it and the backend is this thread's.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import type { RunFn, RunFnResult, TransformGraph } from '../../ml/api.ts';
import { vocabularyOf } from '../../ml/analyzers.ts';
import { type ModelTask, saveBundle } from '../../ml/bundle.ts';
import { importUserExport, userCodeError } from '../../ml/user-module.ts';
import { type EpochRecord, inferTask, openSession, type Session, type SessionArgs } from './session.ts';
import type { StepProfile } from './step-profile.ts';

export interface TrainArgs extends SessionArgs {
  modulePath: string;
  exportName: string;
  /** Where the bundle goes. */
  bundleDir: string;
  task: 'auto' | ModelTask;
}

export interface TrainResult {
  backend: string;
  backendSkipped: { name: string; reason: string }[];
  task: ModelTask;
  label: string;
  inputFeatures: string[];
  metrics: Record<string, number>;
  /** The module's own properties for the Model (RunFnResult.properties). */
  properties: Record<string, unknown>;
  history: EpochRecord[];
  trainExamples: number;
  trainSeconds: number;
  examplesPerSec: number;
  /** Where this worker's training time went. */
  profile: StepProfile;
}

export async function train(args: TrainArgs): Promise<TrainResult> {
  const runFn = await importUserExport<RunFn>(args.modulePath, args.exportName);
  const session = await openSession(args);
  try {
    return await trainIn(session, runFn, args);
  } catch (e) {
    session.group?.abort(); // peers waiting at an exchange stop now instead of at the timeout
    throw e;
  } finally {
    session.group?.leave();
  }
}

async function trainIn(session: Session, runFn: RunFn, args: TrainArgs): Promise<TrainResult> {
  let result: RunFnResult;
  try {
    result = await runFn(session.ctx);
  } catch (e) {
    throw userCodeError(e, `${args.exportName} threw`);
  } finally {
    session.close();
  }
  if (!result || !(result.model instanceof tf.LayersModel)) {
    throw new UserError(`${args.exportName} must return { model: tf.LayersModel } built with ctx.tf (got ${result === null || typeof result !== 'object' ? String(result) : `{ ${Object.keys(result).join(', ')} }`})`);
  }
  const model = result.model;
  const known = new Set(session.inputFeatures.map((f) => f.name));
  const unknown = model.inputNames.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UserError(`The model's inputs must be named after transformed features (${[...known].join(', ')}); unknown: ${unknown.join(', ')}`);
  }
  if (!model.optimizer) throw new UserError(`${args.exportName} returned a model that was never compiled/fitted`);
  const evalMetrics = await session.evaluate(model);
  const last = session.history.at(-1) ?? { epoch: -1 };
  const { epoch: _epoch, ...lastEpoch } = last;
  const metrics: Record<string, number> = { ...lastEpoch, ...evalMetrics, ...(result.metrics ?? {}) };
  const task = args.task === 'auto' ? inferTask(model) : args.task;
  const classes = task === 'multiclass' ? labelClasses(session.graph, session.label) : undefined;
  // Replicas end with identical weights: rank 0 saves the one bundle.
  if (!session.group || session.group.rank === 0) await saveBundle(args.bundleDir, {
    model,
    transformGraphDir: args.transformGraphUri,
    info: {
      task,
      label: session.label,
      classes,
      rawFeatures: session.graph.json.rawFeatures.filter((f) => `${f.name}` !== session.label),
      backend: session.selection.name,
      trainMetrics: metrics,
    },
  });
  const { examples, seconds } = session.throughput();
  model.dispose();
  return {
    backend: session.selection.name,
    backendSkipped: session.selection.skipped,
    task,
    label: session.label,
    inputFeatures: model.inputNames,
    metrics,
    properties: moduleProperties(result.properties, args.exportName),
    history: session.history,
    trainExamples: examples,
    trainSeconds: seconds,
    examplesPerSec: seconds > 0 ? examples / seconds : 0,
    profile: session.profile(),
  };
}

/**
 * Class names of a multiclass label made by compute_and_apply_vocabulary: the graph applied to
 * zero rows returns the label's (empty) id column, which knows its vocabulary. Undefined when the
 * label ids come from elsewhere (the classes are then just their ids).
 */
function labelClasses(graph: TransformGraph, label: string): string[] | undefined {
  try {
    const ids = graph.apply({})[label];
    const vocabulary = ids instanceof Int32Array ? vocabularyOf.get(ids) : undefined;
    return vocabulary ? [...vocabulary] : undefined;
  } catch {
    return undefined;
  }
}

/** Property names the Trainer records itself, which a module's properties may not replace. */
export const TRAINER_PROPERTIES = ['backend', 'backendSkipped', 'task', 'label', 'inputFeatures', 'metrics', 'epochs', 'trainExamples', 'examplesPerSec', 'stepProfile', 'workers', 'moduleHash', 'bundle', 'logs'];

/** A module's extra Model properties, checked to be plain JSON under names of its own. */
function moduleProperties(properties: unknown, exportName: string): Record<string, unknown> {
  if (properties === undefined) return {};
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
    throw new UserError(`${exportName} returned properties that are not an object`);
  }
  const taken = Object.keys(properties).filter((k) => TRAINER_PROPERTIES.includes(k));
  if (taken.length) throw new UserError(`${exportName} returned properties the Trainer records itself: ${taken.join(', ')}`);
  try {
    return JSON.parse(JSON.stringify(properties)) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${exportName} returned properties that are not JSON: ${(e as Error).message}`);
  }
}

/** Where training writes inside the Model artifact. */
export const modelPaths = (uri: string) => ({ bundleDir: join(uri, 'bundle'), logDir: join(uri, 'logs'), checkpointDir: join(uri, 'checkpoint') });
