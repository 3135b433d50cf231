/**
 * The Evaluator compares the candidate with the latest blessed model of the pipeline, which it takes
 * from the metadata store rather than from a wired input. That baseline must be part of its cache
 * key: once a newer model is blessed, re-running a pipeline whose model did not change has to
 * evaluate again against the new baseline, while an unchanged rerun stays cached.
 *
 * Models are hand-built logistic bundles (test/serving/fixtures.ts) brought in by a custom
 * component instead of a Trainer, so the test trains nothing and predicts by hand.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { pairAuc } from '../helpers/pair-auc.ts';
import { pipelineRuns } from '../helpers/pipeline-runs.ts';
import { sigmoid, taxiLikeColumns, writeExamples, writeLogisticBundle, type LogisticSpec } from '../serving/fixtures.ts';

const WEAK: LogisticSpec = { features: ['x1', 'x2'], weights: [0.3, 0.4], bias: 0 };
const GOOD: LogisticSpec = { features: ['x1', 'x2'], weights: [2, -1], bias: 0 };
const ROWS = 160;

// Two files of one pipeline (same name and root, so one store) that differ only in the model.
const pipeline = (model: string) => `name: baseline
root: .tributary
components:
  ImportExamples: ${resolve('test/evaluator/fixtures/import-examples.ts')}
  ImportModel: ${resolve('test/evaluator/fixtures/import-model.ts')}
nodes:
  examples:
    component: ImportExamples
    params: { folder: examples }
  trainer:
    component: ImportModel
    params: { bundle: models/${model} }
  evaluator:
    component: Evaluator
    inputs: { examples: examples.examples, model: trainer.model }
    params:
      label: label
      bootstrap_resamples: 0
      thresholds:
        - metric: auc
          change: { direction: higher_is_better, absolute: -0.01 }
`;


describe('Evaluator cache: the latest blessed model it resolves from the store is part of its key', function () {
  this.timeout(120_000);
  let dir: string;
  let pool: WorkerPool;
  const cols = taxiLikeColumns(ROWS);
  const auc = (m: LogisticSpec) => pairAuc(cols.label, Array.from(cols.x1, (x, i) => sigmoid(m.weights[0] * x + m.weights[1] * cols.x2[i] + m.bias)));

  const { run, states, node, inputEvents } = pipelineRuns(() => ({ dir, pool }));
  const readOutput = (s: RunSummary, output: 'evaluation' | 'blessing') =>
    JSON.parse(readFileSync(join(node(s, 'evaluator').outputs![output].uri, `${output}.json`), 'utf8'));

  before(async () => {
    // Under the repository, so the custom components' bundled modules find node_modules.
    mkdirSync('test/.tmp', { recursive: true });
    dir = mkdtempSync(join('test/.tmp', 'evaluator-baseline-'));
    writeExamples(join(dir, 'examples'), 'eval', cols);
    await writeLogisticBundle(join(dir, 'models', 'weak'), WEAK);
    await writeLogisticBundle(join(dir, 'models', 'good'), GOOD);
    writeFileSync(join(dir, 'weak.pipeline.yaml'), pipeline('weak'));
    writeFileSync(join(dir, 'good.pipeline.yaml'), pipeline('good'));
    pool = createPool(1);
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let weakModelId: number;
  let goodModelId: number;

  it('first model: blessed without a baseline; a rerun is fully cached', async () => {
    assert.ok(auc(GOOD) - auc(WEAK) > 0.01, 'the fixture models must differ by more than the threshold');
    const first = await run('weak.pipeline.yaml');
    assert.deepEqual(states(first), { examples: 'COMPLETE', trainer: 'COMPLETE', evaluator: 'COMPLETE' });
    weakModelId = node(first, 'trainer').outputs!.model.id;
    assert.equal(readOutput(first, 'evaluation').baseline, null);
    const blessing = readOutput(first, 'blessing');
    assert.equal(blessing.blessed, true);
    assert.deepEqual(blessing.reasons.map((r: { kind: string }) => r.kind), ['no_baseline']);

    const again = await run('weak.pipeline.yaml');
    assert.deepEqual(states(again), { examples: 'CACHED', trainer: 'CACHED', evaluator: 'CACHED' });
  });

  it('a better model is blessed against the first one', async () => {
    const good = await run('good.pipeline.yaml');
    assert.deepEqual(states(good), { examples: 'CACHED', trainer: 'COMPLETE', evaluator: 'COMPLETE' });
    goodModelId = node(good, 'trainer').outputs!.model.id;
    assert.ok(goodModelId > weakModelId);
    const evaluation = readOutput(good, 'evaluation');
    assert.deepEqual([evaluation.baseline.id, evaluation.baseline.source], [weakModelId, 'latest_blessed']);
    assert.equal(readOutput(good, 'blessing').blessed, true);
  });

  it('the first pipeline again: its model is unchanged, but its Evaluator compares with the newer blessed model', async () => {
    const latest = await run('weak.pipeline.yaml');
    assert.deepEqual(states(latest), { examples: 'CACHED', trainer: 'CACHED', evaluator: 'COMPLETE' });
    assert.equal(node(latest, 'trainer').outputs!.model.id, weakModelId);
    const evaluation = readOutput(latest, 'evaluation');
    assert.deepEqual([evaluation.baseline.id, evaluation.baseline.source], [goodModelId, 'latest_blessed']);
    assert.ok(Math.abs(evaluation.slices[0].metrics.auc - auc(WEAK)) < 1e-6);
    assert.ok(Math.abs(evaluation.slices[0].baseline_metrics.auc - auc(GOOD)) < 1e-6);
    // Against the better model the weak one violates the change threshold: no longer blessed.
    const blessing = readOutput(latest, 'blessing');
    assert.equal(blessing.blessed, false);
    const change = blessing.reasons.find((r: { kind: string }) => r.kind === 'change_absolute');
    assert.ok(Math.abs(change.diff - (auc(WEAK) - auc(GOOD))) < 1e-6, `${change.diff}`);
    // Lineage: the resolved baseline is an input of the execution, beside the wired ones.
    assert.deepEqual(await inputEvents(node(latest, 'evaluator').executionId!), {
      examples: node(latest, 'examples').outputs!.examples.id,
      model: weakModelId,
      latest_blessed_model: goodModelId,
    });
  });

  it('unchanged reruns of either pipeline are fully cached', async () => {
    const again = await run('weak.pipeline.yaml');
    assert.deepEqual(states(again), { examples: 'CACHED', trainer: 'CACHED', evaluator: 'CACHED' });
    assert.equal(readOutput(again, 'evaluation').baseline.id, goodModelId);
    assert.equal((await inputEvents(node(again, 'evaluator').executionId!)).latest_blessed_model, goodModelId, 'a cache hit records its baseline too');
    // The good model is never its own baseline: it still compares with the weak one, as before.
    const good = await run('good.pipeline.yaml');
    assert.deepEqual(states(good), { examples: 'CACHED', trainer: 'CACHED', evaluator: 'CACHED' });
    assert.equal(readOutput(good, 'evaluation').baseline.id, weakModelId);
  });
});
