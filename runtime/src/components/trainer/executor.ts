/**
 * Trainer: compiles the user's module, then trains in a dedicated worker thread (backend chosen
 * there, timeout enforced by terminating it) and records backend, task and final metrics on the
 * Model artifact. Logs (metrics.jsonl, TensorBoard) live in the Model artifact's logs/ folder.
 */
import type { EpochProgress } from './session.ts';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import type { HyperParameters } from '../../ml/api.ts';
import { compileUserModule } from '../../modules/compile-module.ts';
import { findWorkspaceRoot } from '../../util/paths.ts';
import { runInWorker } from '../../ml/user-module.ts';
import type { trainerSpec } from './spec.ts';
import { trainingRunArgs } from './run-args.ts';
import { modelPaths, type TrainArgs, type TrainResult } from './train-task.ts';
import { dispatcherPath } from './worker-entry.ts';
import { checkSplitRows, resolveWorkers, runReplicas, thisMachine } from './replicas.ts';
import type { ReplicaArgs } from './session.ts';

type Spec = typeof trainerSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const BEST_HYPERPARAMETERS_FILE = 'best_hyperparameters.json';

export function readHyperParameters(uri: string): HyperParameters {
  const file = join(uri, BEST_HYPERPARAMETERS_FILE);
  if (!existsSync(file)) throw new UserError(`HyperParameters artifact has no ${BEST_HYPERPARAMETERS_FILE}`, { file });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HyperParameters;
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`, { file });
  }
}

export async function execute(ctx: Ctx): Promise<void> {
  const { params, inputs } = ctx;
  const out = ctx.outputs.model;
  const { bundleDir, logDir, checkpointDir: finalCheckpoint } = modelPaths(out.uri);
  const compiled = await compileUserModule(ctx.resolvePath(params.module_file), { outFile: join(out.uri, 'module', 'trainer_module.mjs'), workspaceRoot: findWorkspaceRoot(ctx.pipelineDir) });

  const hyperparameters: HyperParameters = { ...params.hyperparameters };
  if (inputs.hyperparameters) Object.assign(hyperparameters, readHyperParameters(inputs.hyperparameters.uri));
  if (inputs.base_model) hyperparameters.base_model_dir = modelPaths(inputs.base_model.uri).bundleDir;
  // Checkpoints of unfinished work are kept under the cache key, beside the outputs: a rerun of
  // the same work (after a crash, a kill or a cancel, or `tributary resume`) finds them, while the
  // engine drops a failed execution's own output folder. The last one moves into the Model.
  const key = ctx.metadata?.cacheKey;
  const checkpointDir = key ? join(dirname(dirname(out.uri)), '.checkpoints', key.slice(0, 32)) : finalCheckpoint;

  const args: TrainArgs = {
    ...trainingRunArgs(inputs, params),
    modulePath: compiled.path,
    exportName: params.run_fn,
    bundleDir,
    logDir,
    task: params.task,
    hyperparameters,
    shuffleBuffer: params.shuffle_buffer,
    checkpointDir,
    baseModelDir: inputs.base_model ? modelPaths(inputs.base_model.uri).bundleDir : undefined,
  };
  const workers = resolveWorkers(params.workers, params.backend, thisMachine(), params.batch_size);
  checkSplitRows(inputs.examples, [params.train_split, params.eval_split], workers);
  ctx.log.info(
    `training with ${params.run_fn} from ${basename(params.module_file)} (${args.trainShards.length} train / ${args.evalShards.length} eval shards, batch ${params.batch_size}, ${params.epochs} epochs${workers > 1 ? `, data-parallel over ${workers} workers of ${Math.ceil(params.batch_size / workers)} rows a step` : ''})`,
  );
  ctx.progress({ done: 0, total: params.epochs, unit: 'epochs' });
  const trainIn = (replica: ReplicaArgs | undefined, signal: AbortSignal) =>
    runInWorker<TrainResult>({
      modulePath: dispatcherPath(),
      exportName: 'default',
      args: [{ task: 'trainer.train', args: { ...args, replica } }],
      timeout: params.timeout,
      signal,
      label: `${params.run_fn} in ${basename(params.module_file)}${replica ? ` (replica ${replica.rank})` : ''}`,
      // Rank 0 speaks for the training; the others only forward what went wrong.
      onLog: (level, message) => (!replica || replica.rank === 0 ? ctx.log[level](message) : level !== 'info' && ctx.log[level](`[replica ${replica.rank}] ${message}`)),
      onProgress: (value) => {
        const p = value as EpochProgress;
        ctx.progress({ done: p.epoch, total: p.epochs, unit: 'epochs', metrics: p.metrics });
      },
    });
  const results = workers > 1 ? await runReplicas(workers, ctx.signal, trainIn) : [await trainIn(undefined, ctx.signal)];
  // Every replica trained on its share: examples add up; the time is the lead's.
  const result = { ...results[0], trainExamples: results.reduce((n, r) => n + r.trainExamples, 0) };
  result.examplesPerSec = result.trainSeconds > 0 ? result.trainExamples / result.trainSeconds : 0;
  if (checkpointDir !== finalCheckpoint && existsSync(checkpointDir)) {
    renameSync(checkpointDir, finalCheckpoint);
  }
  ctx.log.info(
    `trained on ${result.backend}: ${result.trainExamples} examples in ${result.trainSeconds.toFixed(2)} s (${Math.round(result.examplesPerSec)} examples/s); ${Object.entries(result.metrics)
      .map(([k, v]) => `${k}=${v.toFixed(4)}`)
      .join(' ')}`,
  );
  out.properties = {
    ...result.properties,
    backend: result.backend,
    backendSkipped: result.backendSkipped,
    task: result.task,
    label: result.label,
    inputFeatures: result.inputFeatures,
    metrics: result.metrics,
    epochs: result.history.length,
    trainExamples: result.trainExamples,
    examplesPerSec: Math.round(result.examplesPerSec),
    // Per worker (rank order): milliseconds by phase and the thread's CPU time (step-profile.ts).
    stepProfile: results.map((r) => r.profile),
    workers,
    moduleHash: compiled.hash,
    bundle: 'bundle',
    logs: 'logs',
  };
}
