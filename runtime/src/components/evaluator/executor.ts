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
import { openModel, type Predictions, type ServableModel } from '../../serving/model-source.ts';
import { checkThresholds, encodeLabels, evaluateSlices, type MetricOptions, type SliceResult } from './evaluate.ts';
import type { evaluatorSpec } from './spec.ts';
import { LATEST_BLESSED_MODEL } from './resolve.ts';
import { readSplitRows, type RawRow } from './read-rows.ts';

type Spec = typeof evaluatorSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const EVALUATION_FILE = 'evaluation.json';
export const BLESSING_FILE = 'blessing.json';

/** The serving bundle inside a Model artifact. */
export const bundleDir = (model: { uri: string }) => join(model.uri, 'bundle');

export async function predictAll(model: ServableModel, rows: RawRow[], batchSize: number, signal?: AbortSignal): Promise<(number | number[])[]> {
  const out: (number | number[])[] = [];
  for (let i = 0; i < rows.length; i += batchSize) {
    signal?.throwIfAborted();
    const p: Predictions = await model.predict(rows.slice(i, i + batchSize));
    for (const x of p) out.push(x);
  }
  return out;
}

/**
 * The label of each row: a raw column when the `label` parameter names one, else the bundle's
 * label feature computed by its transform graph (e.g. taxi's big_tipper from tips and fare).
 */
export function labelValues(model: ServableModel, rows: RawRow[], param: string): { label: string; values: ArrayLike<unknown> } {
  if (param) {
    if (rows.length && !(param in rows[0])) {
      throw new UserError(`The examples have no label column "${param}" (columns: ${Object.keys(rows[0]).join(', ')})`, { field: 'label' });
    }
    return { label: param, values: rows.map((r) => r[param]) };
  }
  const label = model.info.label;
  const column = model.transformGraph.applyToRows(rows)[label];
  if (!column) throw new UserError(`The transform graph does not produce the bundle's label "${label}": set the label parameter to a raw column`, { field: 'label' });
  return { label, values: column };
}

interface BaselineChoice {
  ref: { id?: number; uri: string };
  source: 'input' | 'latest_blessed';
}

/**
 * The wired baseline_model, else the latest blessed model the engine resolved for this execution
 * (and keyed the cache on); a context built by hand without `resolved` looks it up the same way here.
 */
async function chooseBaseline(ctx: Ctx): Promise<BaselineChoice | undefined> {
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

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const candidate = await openModel(bundleDir(ctx.inputs.model));
  const models: ServableModel[] = [candidate];
  try {
    const info = candidate.info;
    const task = params.task === 'auto' ? info.task : params.task;
    const allRows = readSplitRows(ctx.inputs.examples.uri, params.split);
    const { label, values } = labelValues(candidate, allRows, params.label);
    const { rows, labels, dropped } = encodeLabels(allRows, values, label, task, info.classes);
    if (dropped) ctx.log.warn(`${dropped} of ${allRows.length} rows have no usable label "${label}" and are left out`);
    if (rows.length === 0) throw new UserError(`Split "${params.split}" has no labelled rows to evaluate`);
    ctx.log.info(`Evaluating ${rows.length} rows of split "${params.split}" (task ${task}, label ${label})`);

    const options: MetricOptions = {
      task,
      threshold: params.decision_threshold,
      classes: info.classes,
      numClasses: info.classes?.length,
      resamples: params.bootstrap_resamples,
      seed: 42,
      minSliceSize: params.min_slice_size,
    };
    const predictions = await predictAll(candidate, rows, params.batch_size, ctx.signal);
    ctx.progress({ done: 1, total: 2, unit: 'models' });
    // The overall slice always comes first: thresholds are checked on it.
    const specs = [[], ...params.slicing_specs.filter((s) => s.length > 0)];
    const slices = evaluateSlices(rows, labels, predictions, specs, options);

    const baselineChoice = await chooseBaseline(ctx);
    let baselineSlices: SliceResult[] | undefined;
    if (baselineChoice) {
      const baseline = await openModel(bundleDir(baselineChoice.ref));
      models.push(baseline);
      const bp = await predictAll(baseline, rows, params.batch_size, ctx.signal);
      baselineSlices = evaluateSlices(rows, labels, bp, specs, { ...options, resamples: 0 });
    }
    ctx.progress({ done: 2, total: 2, unit: 'models' });

    const overall = slices[0];
    const outcomes = checkThresholds(overall, baselineSlices?.[0], params.thresholds);
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
      rows_without_label: dropped,
      slices: slices.map((s, i) => {
        const b = baselineSlices?.[i];
        return {
          ...s,
          ...(b && {
            baseline_metrics: b.metrics,
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
  } finally {
    for (const m of models) m.dispose();
  }
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
