import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { execute } from '../../runtime/src/components/evaluator/executor.ts';
import { evaluatorParams } from '../../runtime/src/components/evaluator/spec.ts';
import { LATEST_BLESSED_MODEL, resolveLatestBlessedModel } from '../../runtime/src/components/evaluator/resolve.ts';
import type { ExecutorContext } from '../../runtime/src/core/component.ts';
import { latestBlessedModel } from '../../runtime/src/metadata/resolvers.ts';
import { emptyStore, type StoreData } from '../../runtime/src/core/metadata-types.ts';
import { addEvent, attribute, createArtifact, createExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { pairAuc } from '../helpers/pair-auc.ts';
import { makeContext } from '../schema-gen/executor-context.ts';
import { sigmoid, taxiLikeColumns, writeExamples, writeModelArtifact } from '../serving/fixtures.ts';

const GOOD = { features: ['x1', 'x2'], weights: [2, -1], bias: 0 };
const WEAK = { features: ['x1', 'x2'], weights: [0.3, 0.4], bias: 0 };


describe('Evaluator', () => {
  let root: string;
  let pool: WorkerPool;
  const cols = taxiLikeColumns(160);
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'evaluator-'));
    pool = createPool(1);
    writeExamples(join(root, 'examples'), 'eval', cols);
    await writeModelArtifact(join(root, 'good'), GOOD);
    await writeModelArtifact(join(root, 'weak'), WEAK);
  });
  after(async () => {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function run(name: string, params: Record<string, unknown>, model: string, baseline?: string, metadata?: StoreData, resolved?: ExecutorContext['resolved']) {
    const { ctx, log } = makeContext({
      root: join(root, name),
      pool,
      params: Value.Default(evaluatorParams, { label: 'label', ...params }) as Record<string, unknown>,
      inputs: {
        examples: { type: 'Examples', uri: join(root, 'examples') },
        model: { type: 'Model', uri: join(root, model) },
        baseline_model: baseline ? { type: 'Model', uri: join(root, baseline) } : undefined,
      },
      outputs: { evaluation: 'ModelEvaluation', blessing: 'ModelBlessing' },
    });
    if (metadata) ctx.metadata = { pipeline: 'p', executionId: 999, read: async () => metadata };
    if (resolved) ctx.resolved = resolved;
    await execute(ctx);
    const evaluation = JSON.parse(readFileSync(join(ctx.outputs.evaluation.uri, 'evaluation.json'), 'utf8'));
    const blessing = JSON.parse(readFileSync(join(ctx.outputs.blessing.uri, 'blessing.json'), 'utf8'));
    return { evaluation, blessing, ctx, log };
  }

  it('computes overall and per-slice metrics that match an independent computation', async () => {
    const { evaluation, blessing, ctx } = await run('sliced', { slicing_specs: [[], ['hour']], thresholds: [{ metric: 'auc', lower_bound: 0.8 }] }, 'good');
    const scores = Array.from(cols.x1, (x, i) => sigmoid(2 * x - cols.x2[i]));
    const overall = evaluation.slices[0];
    assert.equal(overall.name, 'Overall');
    assert.equal(overall.example_count, 160);
    // AUCs come from a 10 000-bucket threshold grid, within the bound the evaluation states.
    assert.equal(evaluation.threshold_grid.buckets, 10_000);
    assert.ok(overall.grid_error_bounds.auc < 0.01);
    assert.ok(Math.abs(overall.metrics.auc - pairAuc(cols.label, scores)) <= overall.grid_error_bounds.auc + 1e-9);
    assert.equal(overall.calibration_buckets.reduce((n: number, b: { count: number }) => n + b.count, 0), 160);
    // Each bucket's observed rate with its 95 % interval (the calibration plot's error bar).
    for (const b of overall.calibration_buckets.filter((b: { count: number }) => b.count > 0)) {
      const [lo, hi] = b.label_interval;
      assert.ok(lo <= b.mean_label + 1e-12 && b.mean_label <= hi + 1e-12 && hi - lo > 0, JSON.stringify(b));
      // Fewer rows, a wider interval: 1/√n as the Wilson interval gives it.
      if (b.count >= 4) assert.ok(hi - lo < 1.2 * Math.sqrt(1 / b.count) * 1.96 + 0.05, JSON.stringify(b));
    }
    // ROC/PR data: at threshold 0.5 the counts are those of the decision threshold.
    const curve = overall.confusion_at_thresholds;
    const at = curve.thresholds.indexOf(0.5);
    const tpAt = scores.filter((s, i) => s >= 0.5 && cols.label[i] === 1).length;
    assert.equal(curve.tp[at], tpAt);
    assert.ok(Math.abs(overall.metrics.recall - tpAt / (tpAt + curve.fn[at])) < 1e-12);
    const correct = scores.filter((s, i) => (s >= 0.5 ? 1 : 0) === cols.label[i]).length;
    assert.ok(Math.abs(overall.metrics.accuracy - correct / 160) < 1e-9);
    const [lo, hi] = overall.confidence_intervals.auc;
    assert.ok(lo <= overall.metrics.auc && overall.metrics.auc <= hi);
    // One slice per hour, each with its own AUC.
    assert.deepEqual(evaluation.slices.slice(1).map((s: any) => s.name), ['hour=0', 'hour=1', 'hour=2', 'hour=3']);
    const idx = [...Array(160).keys()].filter((i) => i % 4 === 2);
    const h2 = evaluation.slices.find((s: any) => s.name === 'hour=2');
    assert.equal(h2.example_count, 40);
    assert.ok(Math.abs(h2.metrics.auc - pairAuc(idx.map((i) => cols.label[i]), idx.map((i) => scores[i]))) <= h2.grid_error_bounds.auc + 1e-9);
    assert.equal(blessing.blessed, true);
    assert.equal(blessing.reasons[0].kind, 'lower_bound');
    assert.equal(ctx.outputs.blessing.properties.blessed, true);
    assert.ok(existsSync(join(ctx.outputs.blessing.uri, 'BLESSED')));
  });

  it('gives the same evaluation on 2 workers as on 1 (shards merged in order, bootstrap seeded per shard)', async () => {
    // Four shards of 40 rows: the same rows as the one-shard examples.
    const sharded = join(root, 'examples-sharded', 'Split-eval');
    mkdirSync(sharded, { recursive: true });
    for (let s = 0; s < 4; s++) {
      const part = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.slice(s * 40, (s + 1) * 40)]));
      writeFileSync(join(sharded, `part-0000${s}.arrow`), tableToIPC(tableFromArrays(part), 'file'));
    }
    const params = { slicing_specs: [[], ['hour']], bootstrap_resamples: 30 };
    const evaluate = async (workers: WorkerPool, name: string) => {
      const { ctx } = makeContext({
        root: join(root, name),
        pool: workers,
        params: Value.Default(evaluatorParams, { label: 'label', ...params }) as Record<string, unknown>,
        inputs: { examples: { type: 'Examples', uri: join(root, 'examples-sharded') }, model: { type: 'Model', uri: join(root, 'good') }, baseline_model: { type: 'Model', uri: join(root, 'weak') } },
        outputs: { evaluation: 'ModelEvaluation', blessing: 'ModelBlessing' },
      });
      await execute(ctx);
      return JSON.parse(readFileSync(join(ctx.outputs.evaluation.uri, 'evaluation.json'), 'utf8'));
    };
    const one = await evaluate(pool, 'one-worker');
    const twoPool = createPool(2);
    try {
      const two = await evaluate(twoPool, 'two-workers');
      assert.deepEqual(two.slices, one.slices);
      assert.equal(one.slices[0].example_count, 160);
      // Same rows as the single shard: the same point metrics (bootstrap streams differ by shard plan).
      const single = await run('single-shard', params, 'good', 'weak');
      for (const [k, v] of Object.entries(single.evaluation.slices[0].metrics)) assert.ok(Math.abs((v as number) - one.slices[0].metrics[k]) < 1e-12, k);
    } finally {
      await twoPool.close();
    }
  });

  it('does not bless a model worse than the baseline, and says why', async () => {
    const thresholds = [
      { metric: 'auc', lower_bound: 0.5, change: { direction: 'higher_is_better', absolute: -0.01 } },
      { metric: 'log_loss', change: { direction: 'lower_is_better' } },
    ];
    const { evaluation, blessing } = await run('worse', { thresholds }, 'weak', 'good');
    assert.equal(blessing.blessed, false);
    const change = blessing.reasons.find((r: any) => r.metric === 'auc' && r.kind === 'change_absolute');
    assert.equal(change.passed, false);
    assert.ok(change.diff < -0.01);
    assert.match(change.message, /violates/);
    assert.equal(blessing.reasons.find((r: any) => r.kind === 'lower_bound').passed, true);
    assert.equal(blessing.reasons.find((r: any) => r.metric === 'log_loss').passed, false);
    assert.equal(evaluation.baseline.source, 'input');
    assert.ok(Math.abs(evaluation.slices[0].diff.auc - change.diff) < 1e-12);
    // The baseline's ROC/PR data is beside the candidate's, over the same rows.
    const { baseline_confusion_at_thresholds: base, confusion_at_thresholds: cand } = evaluation.slices[0];
    assert.equal(base.tp.at(-1) + base.fp.at(-1), 160);
    assert.notDeepEqual(base.tp, cand.tp);
    // ...and so is its calibration.
    const baseCalibration = evaluation.slices[0].baseline_calibration_buckets;
    assert.equal(baseCalibration.reduce((n: number, b: { count: number }) => n + b.count, 0), 160);
    assert.notDeepEqual(baseCalibration, evaluation.slices[0].calibration_buckets);
    // The better model against the weak one passes the same thresholds.
    const reverse = await run('better', { thresholds }, 'good', 'weak');
    assert.equal(reverse.blessing.blessed, true);
  });

  it('fails a value threshold and reports an upper bound', async () => {
    const { blessing } = await run('bounds', { thresholds: [{ metric: 'auc', lower_bound: 0.99 }, { metric: 'log_loss', upper_bound: 10 }] }, 'good');
    assert.equal(blessing.blessed, false);
    assert.deepEqual(blessing.reasons.map((r: any) => [r.kind, r.passed]), [['lower_bound', false], ['upper_bound', true]]);
  });

  it('finds the latest blessed model of the pipeline as baseline (LatestBlessedModelResolver)', async () => {
    const data = storeWith([
      { pipeline: 'p', model: join(root, 'weak'), blessed: true },
      { pipeline: 'p', model: join(root, 'good'), blessed: true },
      { pipeline: 'p', model: join(root, 'weak'), blessed: false }, // newer but not blessed
      { pipeline: 'other', model: join(root, 'weak'), blessed: true }, // newer but another pipeline
    ]);
    const found = latestBlessedModel(data, 'p');
    assert.equal(found?.model.uri, join(root, 'good'));
    assert.equal(latestBlessedModel(data, 'p', { exclude: [found!.model.id] })?.model.uri, join(root, 'weak'));
    assert.equal(latestBlessedModel(data, 'nope'), undefined);

    const { evaluation, blessing } = await run('resolved', { thresholds: [{ metric: 'auc', change: { direction: 'higher_is_better' } }] }, 'weak', undefined, data);
    assert.equal(evaluation.baseline.source, 'latest_blessed');
    assert.equal(evaluation.baseline.uri, join(root, 'good'));
    assert.equal(blessing.blessed, false);
  });

  it('resolves the latest blessed model for the engine, and evaluates against exactly what was resolved', async () => {
    const data = storeWith([
      { pipeline: 'p', model: join(root, 'weak'), blessed: true },
      { pipeline: 'p', model: join(root, 'good'), blessed: true },
    ]);
    const [weak, good] = data.artifacts.filter((a) => a.type === 'Model');
    const query = (inputs: Record<string, (typeof data.artifacts)[number] | undefined>) =>
      resolveLatestBlessedModel({ data, pipeline: 'p', nodeId: 'evaluator', params: Value.Default(evaluatorParams, {}) as Static<typeof evaluatorParams>, inputs });
    assert.deepEqual(query({ model: weak }), { [LATEST_BLESSED_MODEL]: good });
    assert.deepEqual(query({ model: good }), { [LATEST_BLESSED_MODEL]: weak }, 'the candidate is never its own baseline');
    assert.deepEqual(query({ model: weak, baseline_model: weak }), { [LATEST_BLESSED_MODEL]: undefined }, 'a wired baseline needs no lookup');

    // The executor takes the engine's pick over its own lookup of the store (which would find good).
    const params = { thresholds: [{ metric: 'auc', change: { direction: 'higher_is_better' } }] };
    const picked = await run('picked', params, 'good', undefined, data, { [LATEST_BLESSED_MODEL]: { id: weak.id, type: 'Model', uri: weak.uri, properties: {} } });
    assert.deepEqual([picked.evaluation.baseline.id, picked.evaluation.baseline.uri, picked.evaluation.baseline.source], [weak.id, join(root, 'weak'), 'latest_blessed']);
    const none = await run('none', params, 'weak', undefined, data, { [LATEST_BLESSED_MODEL]: undefined });
    assert.equal(none.evaluation.baseline, null);
    assert.equal(none.blessing.reasons[0].kind, 'no_baseline');
  });

  it('without any baseline, change thresholds are skipped and recorded', async () => {
    const { blessing } = await run('first', { thresholds: [{ metric: 'auc', change: { direction: 'higher_is_better' } }] }, 'weak', undefined, emptyStore());
    assert.equal(blessing.blessed, true);
    assert.equal(blessing.reasons[0].kind, 'no_baseline');
  });

  it("takes the label from the bundle's transform graph when no label column is named", async () => {
    const named = await run('named', {}, 'good');
    const fromGraph = await run('graph', { label: '' }, 'good');
    assert.equal(fromGraph.evaluation.label, 'label_xf');
    assert.deepEqual(fromGraph.evaluation.slices[0].metrics, named.evaluation.slices[0].metrics);
  });

  it('rejects a missing label column with a UserError', async () => {
    await assert.rejects(run('nolabel', { label: 'tips' }, 'good'), (e: Error) => e.name === 'UserError' && /no label column "tips"/.test(e.message));
  });
});

/** A store where each entry is a Trainer → Evaluator pair in the given pipeline, in order. */
function storeWith(entries: { pipeline: string; model: string; blessed: boolean }[]): StoreData {
  const data = emptyStore();
  for (const e of entries) {
    const ctx = getOrCreateContext(data, 'pipeline', e.pipeline);
    const model = createArtifact(data, 'Model', () => e.model, 'f');
    model.state = 'LIVE';
    attribute(data, model.id, [ctx]);
    const ex = createExecution(data, { component: 'Evaluator', componentVersion: '1', nodeId: 'evaluator', runId: 'r', state: 'COMPLETE', params: {}, cacheKey: 'k', pid: 1, logFileFor: () => '' });
    const blessing = createArtifact(data, 'ModelBlessing', (id) => `/b/${id}`, 'f');
    blessing.state = 'LIVE';
    blessing.properties = { blessed: e.blessed };
    attribute(data, blessing.id, [ctx]);
    addEvent(data, ex.id, model.id, 'INPUT', 'model');
    addEvent(data, ex.id, blessing.id, 'OUTPUT', 'blessing');
  }
  return data;
}
