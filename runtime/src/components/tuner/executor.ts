/**
 * Tuner: asks tuner_fn for the search space, generates configurations (random or grid), and runs
 * them `parallel_trials` at a time, each in its own worker thread (one backend per worker: wasm is
 * single-threaded in Node). Epoch reports drive the median stopping rule. Writes
 * best_hyperparameters.json and trials.json.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import type { HyperParameters } from '../../ml/api.ts';
import { compileUserModule } from '../../modules/compile-module.ts';
import { findWorkspaceRoot } from '../../util/paths.ts';
import { runInWorker } from '../../ml/user-module.ts';
import { BEST_HYPERPARAMETERS_FILE } from '../trainer/executor.ts';
import { trainingRunArgs } from '../trainer/run-args.ts';
import { dispatcherPath } from '../trainer/worker-entry.ts';
import { checkSplitRows, resolveWorkers, runReplicas, thisMachine } from '../trainer/replicas.ts';
import { gridSearch, MedianStopping, randomSearch } from './search.ts';
import type { tunerSpec } from './spec.ts';
import { DECISION, metricValue, REPORT_MARKER, type TrialArgs, type TrialResult, type TunerDescription } from './trial-task.ts';

type Spec = typeof tunerSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const TRIALS_FILE = 'trials.json';

export interface TrialRow {
  trial_id: number;
  hyperparameters: HyperParameters;
  status: 'COMPLETED' | 'STOPPED' | 'FAILED';
  objective?: number;
  epochs: number;
  metrics: Record<string, number>;
  seconds: number;
  error?: string;
}

export async function execute(ctx: Ctx): Promise<void> {
  const { params, inputs } = ctx;
  const out = ctx.outputs.best_hyperparameters;
  const compiled = await compileUserModule(ctx.resolvePath(params.module_file), { outFile: join(out.uri, 'module', 'tuner_module.mjs'), workspaceRoot: findWorkspaceRoot(ctx.pipelineDir) });
  const call = <T>(task: string, args: unknown, label: string, timeout: number, onLog?: (level: 'info' | 'warn' | 'error', m: string) => void, signal = ctx.signal) =>
    runInWorker<T>({
      modulePath: dispatcherPath(),
      exportName: 'default',
      args: [{ task, args }],
      timeout,
      signal,
      label,
      onLog: onLog ?? ((level, m) => ctx.log[level](m)),
    });
  const workers = resolveWorkers(params.workers_per_trial, params.backend, thisMachine(), params.batch_size, 'workers_per_trial');
  checkSplitRows(inputs.examples, [params.train_split, params.eval_split], workers, 'workers_per_trial');
  /** One trial: in one worker, or data-parallel over `workers` (rank 0's result speaks for it). */
  const runTrial = async (args: TrialArgs, onLog: (level: 'info' | 'warn' | 'error', m: string) => void): Promise<TrialResult> => {
    if (workers === 1) return call<TrialResult>('tuner.trial', args, `trial ${args.trialId}`, params.trial_timeout, onLog);
    const replicaLog = (rank: number) => (level: 'info' | 'warn' | 'error', m: string) => (rank === 0 ? onLog(level, m) : level !== 'info' && onLog(level, `[replica ${rank}] ${m}`));
    const results = await runReplicas(workers, ctx.signal, (replica, signal) =>
      call<TrialResult>('tuner.trial', { ...args, replica }, `trial ${args.trialId} (replica ${replica.rank})`, params.trial_timeout, replicaLog(replica.rank), signal),
    );
    return results[0];
  };

  const desc = await call<TunerDescription>('tuner.describe', { modulePath: compiled.path, tunerFn: params.tuner_fn }, `${params.tuner_fn} in ${basename(params.module_file)}`, 120);
  const { metric, direction } = desc.objective;
  const limit = params.max_trials ?? desc.max_trials ?? 10;
  const configs = params.strategy === 'grid' ? gridSearch(desc.search_space, params.grid_points, limit) : randomSearch(desc.search_space, limit, params.seed);
  ctx.log.info(
    `${params.strategy} search: ${configs.length} trials over ${Object.keys(desc.search_space).join(', ')}; objective ${direction} ${metric}; ${params.parallel_trials} in parallel${workers > 1 ? `, each data-parallel over ${workers} workers` : ''}`,
  );

  const decisions = new SharedArrayBuffer(4 * configs.length);
  const slots = new Int32Array(decisions);
  const stopping = new MedianStopping(direction, params.min_epochs);
  const base = {
    ...trainingRunArgs(inputs, params),
    modulePath: compiled.path,
    tunerFn: params.tuner_fn,
    runFn: params.run_fn,
    shuffleBuffer: 10_000,
    decisions,
  };

  const onTrialLog = (id: number) => (level: 'info' | 'warn' | 'error', m: string) => {
    if (!m.startsWith(REPORT_MARKER)) {
      if (!m.startsWith('backend:') || id === 0) ctx.log[level](`[trial ${id}] ${m}`);
      return;
    }
    const r = JSON.parse(m.slice(REPORT_MARKER.length)) as { trial: number; epoch: number; metrics: Record<string, number> };
    const value = metricValue(r.metrics, metric);
    let decision: 'continue' | 'stop' = 'continue';
    if (value === undefined) ctx.log.warn(`[trial ${id}] epoch ${r.epoch + 1} reported no "${metric}" (has ${Object.keys(r.metrics).join(', ')})`);
    else if (params.early_stopping) decision = stopping.report(r.trial, r.epoch, value);
    if (decision === 'stop') ctx.log.info(`[trial ${id}] stopped early after epoch ${r.epoch + 1}: ${metric}=${value} is worse than the median of the other trials`);
    Atomics.store(slots, r.trial, decision === 'stop' ? DECISION.stop : DECISION.continue);
    Atomics.notify(slots, r.trial);
  };

  const rows: TrialRow[] = [];
  let next = 0;
  let done = 0;
  ctx.progress({ done, total: configs.length, unit: 'trials' });
  const worker = async () => {
    while (next < configs.length) {
      const id = next++;
      const hp = { ...configs[id], seed: params.seed + id };
      const started = performance.now();
      const args: TrialArgs = { ...base, trialId: id, hyperparameters: hp, logDir: join(out.uri, 'trials', String(id)) };
      try {
        const r = await runTrial(args, onTrialLog(id));
        const objective = metricValue(r.metrics, metric);
        rows[id] = {
          trial_id: id,
          hyperparameters: configs[id],
          status: r.stopped ? 'STOPPED' : 'COMPLETED',
          objective,
          epochs: r.history.length,
          metrics: r.metrics,
          seconds: (performance.now() - started) / 1000,
        };
        ctx.log.info(`[trial ${id}] ${rows[id].status} ${JSON.stringify(configs[id])}: ${metric}=${objective?.toFixed(4)}`);
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        rows[id] = { trial_id: id, hyperparameters: configs[id], status: 'FAILED', epochs: 0, metrics: {}, seconds: (performance.now() - started) / 1000, error: (e as Error).message };
        ctx.log.warn(`[trial ${id}] FAILED ${JSON.stringify(configs[id])}: ${(e as Error).message}`);
      }
      ctx.progress({ done: ++done, total: configs.length, unit: 'trials' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(params.parallel_trials, configs.length) }, worker));

  const better = (a: number, b: number) => (direction === 'max' ? a > b : a < b);
  const scored = (status: TrialRow['status']) => rows.filter((r) => r.status === status && r.objective !== undefined && Number.isFinite(r.objective));
  // Fully trained trials first; stopped ones only when nothing completed.
  const pool = scored('COMPLETED').length ? scored('COMPLETED') : scored('STOPPED');
  if (pool.length === 0) {
    const failed = rows.find((r) => r.error);
    throw new UserError(`No trial produced the objective "${metric}"${failed ? `; first failure: ${failed.error}` : ''}`);
  }
  const best = pool.reduce((a, b) => (better(b.objective!, a.objective!) ? b : a));
  writeFileSync(join(out.uri, BEST_HYPERPARAMETERS_FILE), JSON.stringify(best.hyperparameters, null, 2));
  writeFileSync(join(out.uri, TRIALS_FILE), JSON.stringify(rows, null, 2));
  ctx.log.info(`best: trial ${best.trial_id} ${JSON.stringify(best.hyperparameters)} with ${metric}=${best.objective}`);
  out.properties = {
    bestTrial: best.trial_id,
    objective: { metric, direction, value: best.objective },
    strategy: params.strategy,
    trials: rows.length,
    completed: rows.filter((r) => r.status === 'COMPLETED').length,
    stopped: rows.filter((r) => r.status === 'STOPPED').length,
    failed: rows.filter((r) => r.status === 'FAILED').length,
    hyperparameters: best.hyperparameters,
  };
}
