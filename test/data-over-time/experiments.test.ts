/**
 * Experiment tracking over a store holding two model runs. The Trainer's and Evaluator's files are
 * fixtures written here in their formats (logs/metrics.jsonl, evaluation.json), so the test needs
 * no TensorFlow.js training.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileExperimentLoaders, parseMetricsJsonl } from '../../runtime/src/metadata/artifact-files.ts';
import { compareRuns, differingParams, experimentRuns } from '../../runtime/src/metadata/experiments.ts';
import { addEvent, associate, attribute, createArtifact, createExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import { emptyStore, type StoreData } from '../../runtime/src/core/metadata-types.ts';
import type { ArtifactType } from '../../runtime/src/core/artifacts.ts';

interface Fixture {
  runId: string;
  span: number;
  learningRate: number;
  moduleHash: string;
  epochs: Record<string, number>[];
  evalMetrics: Record<string, number>;
  blessed: boolean;
}

function addRun(data: StoreData, root: string, f: Fixture): void {
  const pipeline = getOrCreateContext(data, 'pipeline', 'taxi');
  const run = getOrCreateContext(data, 'pipeline_run', f.runId, { pipeline: 'taxi', state: 'COMPLETE', startedAt: `2026-01-0${f.span}T00:00:00Z` });
  const execute = (nodeId: string, component: string, params: Record<string, unknown>, outputs: Record<string, [ArtifactType, Record<string, unknown>]>) => {
    const e = createExecution(data, { component, componentVersion: '1', nodeId, runId: f.runId, state: 'COMPLETE', params, cacheKey: '', pid: 1, logFileFor: () => '' });
    e.properties.contentHashes = nodeId === 'trainer' ? { module_file: f.moduleHash } : {};
    associate(data, e.id, [pipeline, run]);
    const uris: Record<string, string> = {};
    for (const [name, [type, properties]] of Object.entries(outputs)) {
      const a = createArtifact(data, type, (id) => join(root, nodeId, String(id)), `${f.runId}/${name}`);
      a.state = 'LIVE';
      a.properties = properties;
      mkdirSync(a.uri, { recursive: true });
      attribute(data, a.id, [pipeline, run]);
      addEvent(data, e.id, a.id, 'OUTPUT', name);
      uris[name] = a.uri;
    }
    return uris;
  };
  execute('example_gen', 'CsvExampleGen', { input: 'data/span-{SPAN}/*.csv', splits: { train: 2, eval: 1 } }, { examples: ['Examples', { span: f.span }] });
  const model = execute('trainer', 'Trainer', { module_file: 'taxi.ts', hyperparameters: { learning_rate: f.learningRate }, epochs: 3 }, { model: ['Model', {}] });
  mkdirSync(join(model.model, 'logs'));
  writeFileSync(join(model.model, 'logs', 'metrics.jsonl'), f.epochs.map((m, epoch) => JSON.stringify({ epoch, ...m, time: '2026-01-01T00:00:00Z' }) + '\n').join(''));
  const evaluator = execute('evaluator', 'Evaluator', { split: 'eval' }, {
    evaluation: ['ModelEvaluation', { overall: { auc: -1 } }], // the file wins over the property
    blessing: ['ModelBlessing', { blessed: f.blessed }],
  });
  const slices = [
    { slice: {}, name: 'Overall', example_count: 100, metrics: f.evalMetrics, confidence_intervals: {} },
    { slice: { hour: 1 }, name: 'hour=1', example_count: 10, metrics: { auc: 0.1 }, confidence_intervals: {} },
  ];
  writeFileSync(join(evaluator.evaluation, 'evaluation.json'), JSON.stringify({ formatVersion: 1, slices }));
}

describe('experiment tracking (metadata/experiments.ts)', () => {
  let root: string;
  let data: StoreData;
  const a: Fixture = {
    runId: 'run-a',
    span: 1,
    learningRate: 0.001,
    moduleHash: 'aaaa',
    epochs: [{ loss: 0.9, val_loss: 0.95 }, { loss: 0.6, val_loss: 0.7 }, { loss: 0.5, val_loss: 0.62 }],
    evalMetrics: { auc: 0.81, accuracy: 0.74 },
    blessed: true,
  };
  const b: Fixture = {
    runId: 'run-b',
    span: 2,
    learningRate: 0.01,
    moduleHash: 'bbbb',
    epochs: [{ loss: 0.8, val_loss: 0.9 }, { loss: 0.45, val_loss: 0.58 }],
    evalMetrics: { auc: 0.84, accuracy: 0.73 },
    blessed: false,
  };
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'trib-experiments-'));
    data = emptyStore();
    addRun(data, root, a);
    addRun(data, root, b);
    getOrCreateContext(data, 'pipeline_run', 'other-pipeline-run', { pipeline: 'other', state: 'COMPLETE', startedAt: '2026-01-05T00:00:00Z' });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('one row per run of the pipeline: spans, params, hashes, last epoch, overall eval metrics, blessing', () => {
    const runs = experimentRuns(data, 'taxi', fileExperimentLoaders);
    assert.deepEqual(runs.map((r) => r.runId), ['run-a', 'run-b']);
    const [ra, rb] = runs;
    assert.deepEqual(ra.spans, { example_gen: { span: 1 } });
    assert.equal(ra.params['trainer.hyperparameters'], JSON.stringify({ learning_rate: a.learningRate }));
    assert.deepEqual(ra.moduleHashes, { 'trainer.module_file': 'aaaa' });
    assert.deepEqual(ra.trainMetrics, a.epochs[a.epochs.length - 1]);
    assert.deepEqual(rb.trainMetrics, b.epochs[b.epochs.length - 1]);
    assert.deepEqual(ra.trainingCurve.map((e) => e.loss), a.epochs.map((e) => e.loss));
    assert.deepEqual(ra.evalMetrics, a.evalMetrics);
    assert.equal(ra.blessed, true);
    assert.equal(rb.blessed, false);
    assert.deepEqual(differingParams(runs), ['trainer.hyperparameters']);
  });

  it('compare lists what changed, with metric deltas b − a', () => {
    const [ra, rb] = experimentRuns(data, 'taxi', fileExperimentLoaders);
    const c = compareRuns(ra, rb);
    assert.deepEqual(c.spans, [{ key: 'example_gen', a: '1', b: '2' }]);
    assert.deepEqual(c.params.map((p) => p.key), ['trainer.hyperparameters']);
    assert.deepEqual(c.moduleHashes, [{ key: 'trainer.module_file', a: 'aaaa', b: 'bbbb' }]);
    const auc = c.metrics.find((m) => m.key === 'eval.auc')!;
    assert.equal(auc.a, a.evalMetrics.auc);
    assert.equal(auc.b, b.evalMetrics.auc);
    assert.ok(Math.abs(auc.delta! - (b.evalMetrics.auc - a.evalMetrics.auc)) < 1e-12);
    const loss = c.metrics.find((m) => m.key === 'train.val_loss')!;
    assert.ok(Math.abs(loss.delta! - (0.58 - 0.62)) < 1e-12);
    assert.deepEqual(c.blessed, { a: true, b: false });
  });

  it('missing files: no curve, and eval metrics fall back to the artifact property', () => {
    const evaluation = data.artifacts.find((x) => x.type === 'ModelEvaluation')!;
    const model = data.artifacts.find((x) => x.type === 'Model')!;
    rmSync(join(evaluation.uri, 'evaluation.json'));
    rmSync(join(model.uri, 'logs'), { recursive: true });
    const [ra] = experimentRuns(data, 'taxi', fileExperimentLoaders);
    assert.deepEqual(ra.trainingCurve, []);
    assert.deepEqual(ra.trainMetrics, {});
    assert.deepEqual(ra.evalMetrics, { auc: -1 });
  });

  it('metrics.jsonl: numeric fields per line, torn last line skipped', () => {
    assert.deepEqual(parseMetricsJsonl('{"epoch":0,"loss":1,"time":"x"}\n{"epoch":1,"loss":0.5}\n{"epoch":2,"lo'), [
      { epoch: 0, loss: 1 },
      { epoch: 1, loss: 0.5 },
    ]);
  });
});
