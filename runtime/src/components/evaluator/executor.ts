/**
 * Evaluator: predicts the eval split with the candidate (and the baseline), computes metrics per
 * slice and blesses the candidate when every threshold holds. Baseline: the wired baseline_model,
 * else TFX's LatestBlessedModelResolver over the metadata store (resolve.ts, run by the engine).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { latestBlessedModel } from '../../metadata/resolvers.ts';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import type { Task } from '../../serving/model-source.ts';
import { listShards, type ExamplesProperties } from '../../formats/examples.ts';
import { readBundleInfo } from '../../ml/bundle.ts';
import { describeRate, RateMeter } from '../../util/rate.ts';
import { GRID_BUCKETS } from './accumulators.ts';
import { checkThresholds, type MetricOptions, type SliceResult, SliceMerge } from './evaluate.ts';
import type { evaluatorSpec } from './spec.ts';
import { LATEST_BLESSED_MODEL } from './resolve.ts';
import type { EvalPartial, EvalScanArgs } from './scan.ts';

type Spec = typeof evaluatorSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const EVALUATION_FILE = 'evaluation.json';
export const BLESSING_FILE = 'blessing.json';

/** The serving bundle inside a Model artifact. */
export const bundleDir = (model: { uri: string }) => join(model.uri, 'bundle');

interface BaselineChoice {
  ref: { id?: number; uri: string };
  source: 'input' | 'latest_blessed';
}

/**
 * The wired baseline_model, else the latest blessed model the engine resolved for this execution
 * (and keyed the cache on); a context built by hand without `resolved` looks it up the same way here.
 */
async function chooseBaseline(ctx: PlanContext): Promise<BaselineChoice | undefined> {
  if (ctx.inputs.baseline_model) return { ref: ctx.inputs.baseline_model, source: 'input' };
  if (ctx.resolved) {
    const model = ctx.resolved[LATEST_BLESSED_MODEL];
    if (!model) {
      ctx.log.info('No blessed model in this pipeline yet: no baseline');
      return undefined;
    }
    ctx.log.info(`Baseline: model artifact ${model.id}, the latest blessed model of the pipeline`);
    return { ref: { id: model.id, uri: model.uri }, source: 'latest_blessed' };
  }
  if (!ctx.metadata) {
    ctx.log.warn('No metadata store available: evaluating without a baseline');
    return undefined;
  }
  const data = await ctx.metadata.read();
  const found = latestBlessedModel(data, ctx.metadata.pipeline, { exclude: [ctx.inputs.model.id] });
  if (!found) {
    ctx.log.info('No blessed model in this pipeline yet: no baseline');
    return undefined;
  }
  ctx.log.info(`Baseline: model artifact ${found.model.id}, blessed by execution ${found.evaluator.id}`);
  return { ref: { id: found.model.id, uri: found.model.uri }, source: 'latest_blessed' };
}

/** What an evaluation scans: one pool task (or Argo map step) per Arrow shard of the split. */
export interface EvalPlan {
  task: Task;
  label: string;
  classes?: string[];
  specs: string[][];
  baseline?: BaselineChoice;
  items: EvalScanArgs[];
  /** Rows of the split, when the Examples record it (progress and ETA). */
  rows?: number;
}

type PlanContext = Pick<Ctx, 'params' | 'inputs' | 'log' | 'resolved' | 'metadata'>;

export async function planEvaluation(ctx: PlanContext): Promise<EvalPlan> {
  const { params } = ctx;
  const candidate = bundleDir(ctx.inputs.model);
  const info = readBundleInfo(candidate);
  const task = params.task === 'auto' ? info.task : params.task;
  let files: string[];
  try {
    files = listShards(ctx.inputs.examples.uri, params.split);
  } catch (e) {
    throw new UserError(`Examples at ${ctx.inputs.examples.uri} have no split "${params.split}": ${(e as Error).message}`, { file: ctx.inputs.examples.uri });
  }
  const baseline = await chooseBaseline(ctx);
  // The overall slice always comes first: thresholds are checked on it.
  const specs = [[], ...params.slicing_specs.filter((s) => s.length > 0)];
  const items = files.map((file, shard) => ({
    file,
    shard,
    candidate,
    ...(baseline ? { baseline: bundleDir(baseline.ref) } : {}),
    label: params.label,
    task,
    ...(info.classes ? { classes: info.classes } : {}),
    threshold: params.decision_threshold,
    resamples: params.bootstrap_resamples,
    seed: BOOTSTRAP_SEED,
    specs,
    batchSize: params.batch_size,
  }));
  const splits = (ctx.inputs.examples.properties as Partial<ExamplesProperties> | undefined)?.splits;
  const rows = splits?.[params.split]?.rows;
  return { task, label: params.label || info.label, classes: info.classes, specs, baseline, items, ...(rows !== undefined ? { rows } : {}) };
}

const BOOTSTRAP_SEED = 42;

/** Shard partials merged in shard order: the candidate's slices, the baseline's, row counts. */
export class EvalMerge {
  rows = 0;
  dropped = 0;
  readonly candidate = new SliceMerge();
  readonly baseline = new SliceMerge();

  accept(index: number, p: EvalPartial): void {
    this.rows += p.rows;
    this.dropped += p.dropped;
    this.candidate.accept(index, p.candidate);
    this.baseline.accept(index, p.baseline ?? []);
  }
}

export async function execute(ctx: Ctx): Promise<void> {
  const plan = await planEvaluation(ctx);
  ctx.log.info(
    `Evaluating split "${ctx.params.split}" (task ${plan.task}, label ${plan.label}): ${plan.items.length} shard(s)${plan.rows !== undefined ? `, ${plan.rows} rows` : ''} on ${ctx.pool.size} worker(s)`,
  );
  const merge = new EvalMerge();
  const meter = new RateMeter('rows', plan.rows);
  ctx.progress(meter.at(0));
  await ctx.pool.each<EvalScanArgs, EvalPartial>('evaluator.scanShard', plan.items, {
    signal: ctx.signal,
    onResult: (partial, i) => {
      merge.accept(i, partial);
      ctx.progress(meter.at(merge.rows));
    },
  });
  const done = meter.at(merge.rows);
  if (done.perSecond !== undefined) ctx.log.info(`Predicted ${merge.rows} rows at ${describeRate(done)}`);
  writeEvaluation(ctx, plan, merge);
}

/** Metrics from the merged accumulators, the threshold checks, and both output artifacts. */
export function writeEvaluation(ctx: Pick<Ctx, 'params' | 'inputs' | 'outputs' | 'log'>, plan: EvalPlan, merge: EvalMerge): void {
  const { params } = ctx;
  const { task, label, baseline: baselineChoice } = plan;
  if (merge.dropped) ctx.log.warn(`${merge.dropped} of ${merge.rows} rows have no usable label "${label}" and are left out`);
  const options: MetricOptions = { task, classes: plan.classes, resamples: params.bootstrap_resamples, seed: BOOTSTRAP_SEED, minSliceSize: params.min_slice_size };
  const slices = merge.candidate.results(plan.specs, options);
  if (slices.length === 0) throw new UserError(`Split "${params.split}" has no labelled rows to evaluate`);
  const baselineByName = baselineChoice ? new Map(merge.baseline.results(plan.specs, { ...options, resamples: 0 }).map((s) => [s.name, s])) : undefined;

  const overall = slices[0];
  const outcomes = checkThresholds(overall, baselineByName?.get(overall.name), params.thresholds);
  const blessed = outcomes.every((o) => o.passed);

  const modelRef = (r: { id?: number; uri: string }) => ({ id: r.id, uri: r.uri });
  const evaluation = {
    formatVersion: 1,
    task,
    label,
    split: params.split,
    decision_threshold: task === 'binary' ? params.decision_threshold : undefined,
    model: modelRef(ctx.inputs.model),
    baseline: baselineChoice ? { ...modelRef(baselineChoice.ref), source: baselineChoice.source } : null,
    rows_without_label: merge.dropped,
    ...(task === 'binary' && { threshold_grid: { buckets: GRID_BUCKETS, metrics: ['auc', 'auc_pr'] } }),
    slices: slices.map((s) => {
      const b = baselineByName?.get(s.name);
      return {
        ...s,
        ...(b && {
          baseline_metrics: b.metrics,
          // The baseline's curves beside the candidate's: the viewer draws both.
          ...(b.confusion_at_thresholds && { baseline_confusion_at_thresholds: b.confusion_at_thresholds }),
          ...(b.calibration_buckets && { baseline_calibration_buckets: b.calibration_buckets }),
          diff: Object.fromEntries(Object.keys(s.metrics).filter((k) => k in b.metrics).map((k) => [k, s.metrics[k] - b.metrics[k]])),
        }),
      };
    }),
  };
  const blessing = {
    formatVersion: 1,
    blessed,
    model: modelRef(ctx.inputs.model),
    baseline: evaluation.baseline,
    reasons: outcomes,
  };
  writeFileSync(join(ctx.outputs.evaluation.uri, EVALUATION_FILE), jsonWithNaN(evaluation));
  writeFileSync(join(ctx.outputs.blessing.uri, BLESSING_FILE), jsonWithNaN(blessing));
  // TFX writes an empty marker file too; tools that look for it keep working.
  writeFileSync(join(ctx.outputs.blessing.uri, blessed ? 'BLESSED' : 'NOT_BLESSED'), '');

  const summary = Object.fromEntries(Object.entries(overall.metrics).filter(([, v]) => Number.isFinite(v)));
  ctx.outputs.evaluation.properties = {
    task,
    split: params.split,
    slices: slices.length,
    overall: summary,
    baselineModelId: baselineChoice?.ref.id,
    weakestSlices: weakestSlices(slices, overall.example_count),
  };
  ctx.outputs.blessing.properties = {
    blessed,
    modelId: ctx.inputs.model.id,
    modelUri: ctx.inputs.model.uri,
    baselineModelId: baselineChoice?.ref.id,
    failed: outcomes.filter((o) => !o.passed).map((o) => o.message),
    passed: outcomes.filter((o) => o.passed).map((o) => o.message),
  };
  for (const o of outcomes) {
    if (o.passed) ctx.log.info(`pass: ${o.message}`);
    else ctx.log.warn(`FAIL: ${o.message}`);
  }
  ctx.log.info(blessed ? 'Model BLESSED' : 'Model NOT blessed');
}

/**
 * The three sliced results with the lowest accuracy among slices holding at least 1% of the rows
 * (tiny slices are noise): what a reader should look at first.
 */
function weakestSlices(slices: SliceResult[], total: number): { name: string; example_count: number; accuracy: number; auc?: number }[] {
  return slices
    .slice(1)
    .filter((s) => s.example_count >= Math.max(2, total * 0.01) && Number.isFinite(s.metrics.accuracy))
    .sort((a, b) => a.metrics.accuracy - b.metrics.accuracy)
    .slice(0, 3)
    .map((s) => ({ name: s.name, example_count: s.example_count, accuracy: s.metrics.accuracy, ...(Number.isFinite(s.metrics.auc) ? { auc: s.metrics.auc } : {}) }));
}

/** JSON with NaN/±Infinity as null (JSON has no such numbers). */
export function jsonWithNaN(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1);
}
