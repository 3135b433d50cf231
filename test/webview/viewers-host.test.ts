/**
 * The viewers' host side without VS Code: what load.ts reads from a metadata store and artifact
 * folders built here by hand, the message checks, and the React views rendered with react-dom/server.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../../runtime/src/core/metadata-types.ts';
import { emptyStore } from '../../runtime/src/core/metadata-types.ts';
import { artifactPayload, comparePayload, lineagePayload } from '../../extension/src/viewers/load.ts';
import { checkViewerMessage } from '../../extension/src/viewers/messages.ts';
import { metadataFileAbove } from '../../extension/src/viewers/locate.ts';
import { viewerHtml } from '../../extension/src/viewers/html.ts';
import { chooseTab, setPinned, type SlotEntry } from '../../extension/src/viewers/tab-slots.ts';
import { ViewerApp } from '../../webview/src/viewers/App.tsx';
import type { ViewerPayload } from '../../protocol/viewer-payload.ts';

let root: string;
let data: StoreData;

/** A small store: example_gen → statistics_gen → example_validator in runs r1 and r2 (r2's validator cached), then trainer → evaluator in r2. */
function buildStore(): StoreData {
  const d = emptyStore();
  const t = '2026-01-01T00:00:00.000Z';
  const artifact = (id: number, type: string, files: Record<string, unknown>, properties: Record<string, unknown> = {}): ArtifactRecord => {
    const uri = join(root, `a${id}`);
    mkdirSync(uri, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(uri, name, '..'), { recursive: true });
      writeFileSync(join(uri, name), typeof content === 'string' ? content : JSON.stringify(content));
    }
    const record = { id, type, uri, state: 'LIVE', fingerprint: `f${id}`, properties, createdAt: t, updatedAt: t } as ArtifactRecord;
    d.artifacts.push(record);
    return record;
  };
  const execution = (id: number, nodeId: string, component: string, runId: string, params: Record<string, unknown> = {}, extra: Partial<ExecutionRecord> = {}) => {
    d.executions.push({ id, component, componentVersion: '1', nodeId, runId, state: 'COMPLETE', params, cacheKey: `k${id}`, startedAt: t, finishedAt: '2026-01-01T00:00:02.000Z', pid: 1, logFile: '', properties: {}, ...extra });
  };
  const event = (executionId: number, artifactId: number, type: 'INPUT' | 'OUTPUT', key: string) => d.events.push({ executionId, artifactId, type, key, time: t });
  const stats = { datasets: [{ name: 'train', numExamples: 2, features: [{ name: 'fare', type: 'FLOAT', numStats: { commonStats: { numNonMissing: 2, numMissing: 0, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: 2 }, mean: 1.5, stdDev: 0.5, numZeros: 0, min: 1, median: 2, max: 2, histograms: [] } }] }] };
  const anomaliesOf = (description: string) => ({ splits: { train: { anomalyInfo: { fare: { path: { step: ['fare'] }, severity: 'ERROR', shortDescription: 'x', description, reason: [] } } } } });

  artifact(1, 'Examples', { 'Split-train/data.arrow': 'x' });
  execution(1, 'example_gen', 'CsvExampleGen', 'r1', { input: 'data.csv' });
  event(1, 1, 'OUTPUT', 'examples');
  artifact(2, 'ExampleStatistics', { 'FeatureStats.json': stats });
  execution(2, 'statistics_gen', 'StatisticsGen', 'r1');
  event(2, 1, 'INPUT', 'examples');
  event(2, 2, 'OUTPUT', 'statistics');
  artifact(3, 'ExampleAnomalies', { 'anomalies.json': anomaliesOf('from run r1') });
  execution(3, 'example_validator', 'ExampleValidator', 'r1');
  event(3, 2, 'INPUT', 'statistics');
  event(3, 3, 'OUTPUT', 'anomalies');
  // Run r2 validates the same statistics again (other schema): a newer anomalies artifact.
  artifact(4, 'ExampleAnomalies', { 'anomalies.json': anomaliesOf('from run r2') });
  execution(4, 'example_validator', 'ExampleValidator', 'r2');
  event(4, 2, 'INPUT', 'statistics');
  event(4, 4, 'OUTPUT', 'anomalies');
  // r2's statistics_gen was a cache hit of execution 2.
  execution(5, 'statistics_gen', 'StatisticsGen', 'r2', {}, { state: 'CACHED', cachedFrom: 2 });
  event(5, 1, 'INPUT', 'examples');
  event(5, 2, 'OUTPUT', 'statistics');
  execution(6, 'example_gen', 'CsvExampleGen', 'r2', { input: 'other.csv' });
  artifact(5, 'Model', { 'bundle/bundle.json': { backend: 'wasm', task: 'binary', label: 'y', inputFeatures: ['fare_xf'] }, 'bundle/weights.bin': 'w'.repeat(100), 'logs/metrics.jsonl': '{"epoch":0,"loss":1}\n{"epoch":1,"loss":0.5}\n' }, { metrics: { loss: 0.5 } });
  execution(7, 'trainer', 'Trainer', 'r2', { epochs: 2 });
  event(7, 1, 'INPUT', 'examples');
  event(7, 5, 'OUTPUT', 'model');
  const evaluation = { task: 'binary', label: 'y', split: 'eval', model: { id: 5, uri: '' }, baseline: null, slices: [{ name: 'Overall', slice: {}, example_count: 9, metrics: { example_count: 9, auc: 0.75 } }] };
  artifact(6, 'ModelEvaluation', { 'evaluation.json': evaluation }, { overall: { auc: 0.75, example_count: 9 } });
  artifact(7, 'ModelBlessing', { 'blessing.json': { blessed: false, reasons: [{ metric: 'auc', slice: 'Overall', kind: 'lower_bound', passed: false, message: 'auc = 0.75 < lower bound 0.8' }] } });
  execution(8, 'evaluator', 'Evaluator', 'r2');
  event(8, 5, 'INPUT', 'model');
  event(8, 6, 'OUTPUT', 'evaluation');
  event(8, 7, 'OUTPUT', 'blessing');
  for (const [name, state] of [['r1', 'COMPLETE'], ['r2', 'COMPLETE']]) d.contexts.push({ id: d.contexts.length + 1, type: 'pipeline_run', name, properties: { state, startedAt: t, finishedAt: '2026-01-01T00:01:00.000Z' } });
  writeFileSync(join(root, 'metadata.json'), JSON.stringify(d));
  return d;
}

const render = (payload: ViewerPayload, pinned?: boolean) => renderToStaticMarkup(createElement(ViewerApp, { payload, post: () => undefined, pinned }));

/** The table row of `feature` in `split` (each split has its own row). */
const rowOf = (html: string, feature: string, split: string) => new RegExp(`<tr[^>]*data-feature="${feature}" data-split="${split}">(.*?)</tr>`).exec(html)?.[1] ?? '';

describe('viewers: loading artifacts from the store', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'viewers-'));
    data = buildStore();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('opens statistics with the anomalies computed from them in the same run', () => {
    const p = artifactPayload(data, 2);
    assert.equal(p.kind, 'statistics');
    if (p.kind !== 'statistics') return;
    assert.equal(p.statistics.datasets[0].features[0].name, 'fare');
    // Statistics #2 was produced in r1: its anomalies are r1's (#3), not the newer r2 ones (#4).
    assert.equal(p.anomalies?.artifact.id, 3);
    assert.equal(p.anomalies?.file.splits.train.anomalyInfo.fare.description, 'from run r1');
    const html = render(p);
    assert.match(html, /data-feature="fare"/);
    assert.match(html, /anomalous severity-error/);
    assert.match(html, /from run r1/);
  });

  it('opens an evaluation with its blessing, from either artifact', () => {
    for (const id of [6, 7]) {
      const p = artifactPayload(data, id);
      assert.equal(p.kind, 'evaluation');
      if (p.kind !== 'evaluation') return;
      assert.equal(p.artifact.id, 6);
      assert.equal(p.blessing?.blessed, false);
    }
    const html = render(artifactPayload(data, 6));
    assert.match(html, /Not blessed/);
    assert.match(html, /FAIL: auc = 0.75 &lt; lower bound 0.8/);
    assert.match(html, /<td>Overall<\/td>/);
  });

  it('opens a model with its bundle info, size and per-epoch metrics', () => {
    const p = artifactPayload(data, 5);
    assert.equal(p.kind, 'model');
    if (p.kind !== 'model') return;
    assert.equal(p.info.backend, 'wasm');
    assert.deepEqual(p.info.files.map((f) => f.path), ['bundle.json', 'weights.bin']);
    assert.equal(p.info.files.find((f) => f.path === 'weights.bin')?.bytes, 100);
    assert.deepEqual(p.epochs.map((e) => e.loss), [1, 0.5]);
    assert.match(render(p), /wasm/);
  });

  it('lists the files of types without a dedicated viewer, and says why an id is unknown', () => {
    const p = artifactPayload(data, 1);
    assert.equal(p.kind, 'unsupported');
    assert.throws(() => artifactPayload(data, 99), /No artifact #99/);
  });

  it('draws lineage as a graph: artifacts and executions back to the data, each once', () => {
    const p = lineagePayload(data, 6);
    assert.equal(p.kind, 'lineage');
    if (p.kind !== 'lineage') return;
    const keys = p.graph.nodes.map((n) => n.key).sort();
    assert.deepEqual(keys, ['a1', 'a5', 'a6', 'e1', 'e7', 'e8']);
    assert.deepEqual(
      p.graph.edges.map((e) => `${e.from}-${e.label}->${e.to}`).sort(),
      ['a1-examples->e7', 'a5-model->e8', 'e1-examples->a1', 'e7-model->a5', 'e8-evaluation->a6'].sort(),
    );
    assert.match(render(p), /lineage-node artifact root/);
  });

  it('compares runs: every node parameter and numeric result', () => {
    const p = comparePayload(data, 'p.pipeline.yaml', ['r1', 'r2']);
    assert.equal(p.kind, 'compare');
    if (p.kind !== 'compare') return;
    assert.equal(p.runs[0].params['example_gen.input'], 'data.csv');
    assert.equal(p.runs[1].params['example_gen.input'], 'other.csv');
    assert.equal(p.runs[1].metrics['evaluator.auc'], 0.75);
    assert.equal(p.runs[1].metrics['trainer.loss'], 0.5);
    assert.equal(p.runs[0].metrics['evaluator.auc'], undefined);
    assert.equal(p.runs[0].durationMs, 60_000);
    assert.throws(() => comparePayload(data, 'p', ['r1', 'nope']), /No run nope/);
    // Oldest run first, whatever order they were picked in: the reference of the deltas.
    const older: StoreData = structuredClone(data);
    older.contexts.find((c) => c.name === 'r2')!.properties.startedAt = '2025-12-31T00:00:00.000Z';
    const ordered = comparePayload(older, 'p', ['r1', 'r2']);
    assert.deepEqual(ordered.kind === 'compare' && ordered.runs.map((r) => r.runId), ['r2', 'r1']);
    const html = render(p);
    assert.match(html, /class="differs" data-key="example_gen.input"><td>example_gen.input<\/td>/);
    // Two runs with both values: a delta column against the first, green where the metric improved.
    const both = { ...p, runs: [{ ...p.runs[1], runId: 'r1', metrics: { 'evaluator.auc': 0.7, 'evaluator.log_loss': 0.5 } }, p.runs[1]] };
    both.runs[1] = { ...both.runs[1], metrics: { 'evaluator.auc': 0.75, 'evaluator.log_loss': 0.6 } };
    const compared = render(both);
    assert.match(compared, /<tr class="differs" data-key="evaluator.auc"><td>evaluator.auc<\/td><td class="num">0.7<\/td><td class="num">0.75<\/td><td class="num delta up">\+0.05<\/td><\/tr>/);
    assert.match(compared, /<td class="num delta down">\+0.1<\/td>/, 'a higher log loss is worse');
    assert.match(compared, /<canvas role="img" aria-label="evaluator.auc per run">/);
  });

  it('puts the approvals waiting on an evaluation into its viewer, with Approve and Reject', () => {
    // A copy of the store where run r3's ManualApproval reviews evaluation #6 and blessing #7, and an
    // older request in r2 was already decided: only r3's request is pending.
    const d: StoreData = structuredClone(data);
    const t = '2026-01-02T00:00:00.000Z';
    const gate = (id: number, runId: string, approval: Record<string, unknown>) => {
      d.executions.push({ id, component: 'ManualApproval', componentVersion: '1', nodeId: 'approval', runId, state: 'WAITING', params: {}, cacheKey: `k${id}`, startedAt: t, pid: 1, logFile: '', properties: { approval } });
      d.events.push({ executionId: id, artifactId: 6, type: 'INPUT', key: 'evaluation', time: t }, { executionId: id, artifactId: 7, type: 'INPUT', key: 'blessing', time: t });
    };
    gate(20, 'r2', { requestedAt: t, decision: 'REJECTED', by: 'ana', at: t });
    gate(21, 'r3', { requestedAt: t, deadline: '2026-01-03T00:00:00.000Z' });
    for (const id of [6, 7]) {
      const p = artifactPayload(d, id);
      assert.equal(p.kind, 'evaluation');
      if (p.kind !== 'evaluation') return;
      assert.deepEqual(p.approvals, [{ runId: 'r3', nodeId: 'approval', requestedAt: t, deadline: '2026-01-03T00:00:00.000Z' }]);
    }
    // Nothing waits on the model or on the statistics of the first run.
    assert.equal((artifactPayload(d, 5) as { approvals?: unknown }).approvals, undefined);
    assert.equal((artifactPayload(d, 2) as { approvals?: unknown }).approvals, undefined);
    const html = render(artifactPayload(d, 6));
    assert.match(html, /class="approval-bar"/);
    assert.match(html, /<strong>approval<\/strong> in run r3 waits for your approval/);
    assert.match(html, />Approve<\/button>.*>Reject<\/button>/);
    assert.doesNotMatch(render(artifactPayload(data, 6)), /approval-bar/);
  });

  it('shows a model with the hyperparameters run_fn got (a Tuner\'s on top of the params) and the Trainer settings', () => {
    const d: StoreData = structuredClone(data);
    const trainer = d.executions.find((x) => x.id === 7)!;
    trainer.params = { module_file: 'trainer.ts', epochs: 2, batch_size: 64, hyperparameters: { learning_rate: 0.1, hidden: 8 } };
    const tuned = join(root, 'a8');
    mkdirSync(tuned, { recursive: true });
    writeFileSync(join(tuned, 'best_hyperparameters.json'), JSON.stringify({ learning_rate: 0.01, dropout: 0.2 }));
    const t = '2026-01-01T00:00:00.000Z';
    d.artifacts.push({ id: 8, type: 'HyperParameters', uri: tuned, state: 'LIVE', fingerprint: 'f8', properties: {}, createdAt: t, updatedAt: t } as ArtifactRecord);
    d.executions.push({ id: 9, component: 'Tuner', componentVersion: '1', nodeId: 'tuner', runId: 'r2', state: 'COMPLETE', params: {}, cacheKey: 'k9', startedAt: t, pid: 1, logFile: '', properties: {} });
    d.events.push({ executionId: 9, artifactId: 8, type: 'OUTPUT', key: 'best_hyperparameters', time: t }, { executionId: 7, artifactId: 8, type: 'INPUT', key: 'hyperparameters', time: t });
    // A later run's cache hit of the trainer: the same settings, read from the source execution.
    d.executions.push({ ...trainer, id: 10, runId: 'r3', state: 'CACHED', cachedFrom: 7, params: {} });
    const p = artifactPayload(d, 5);
    assert.equal(p.kind, 'model');
    if (p.kind !== 'model') return;
    assert.deepEqual(p.info.hyperparameters, [
      { name: 'dropout', value: 0.2, source: 'HyperParameters #8 (tuner)' },
      { name: 'hidden', value: 8, source: 'trainer params' },
      { name: 'learning_rate', value: 0.01, source: 'HyperParameters #8 (tuner)' },
    ]);
    assert.deepEqual(p.info.training, { epochs: 2, batch_size: 64 });
    const html = render(p);
    assert.match(html, /<tr data-name="learning_rate"><td>learning_rate<\/td><td class="num">0.01<\/td>/);
    assert.match(html, /<dt>batch_size<\/dt><dd>64<\/dd>/);
    // Without a Trainer execution on record there is nothing to say but that.
    const orphan: StoreData = structuredClone(data);
    orphan.events = orphan.events.filter((e) => !(e.artifactId === 5 && e.type === 'OUTPUT'));
    assert.match(render(artifactPayload(orphan, 5)), /Unknown: the store does not record which Trainer execution made this model/);
  });

  it('draws each split\'s top values in its own row (eval\'s were drawn on the train row)', () => {
    const common = (n: number) => ({ numNonMissing: n, numMissing: 0, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: n });
    const company = (top: [string, number][]) => ({ name: 'company', type: 'STRING' as const, stringStats: { commonStats: common(10), unique: top.length, topValues: top.map(([value, frequency]) => ({ value, frequency })), avgLength: 4 } });
    const payload: ViewerPayload = {
      kind: 'statistics',
      artifact: { id: 2, type: 'ExampleStatistics', uri: '/s' },
      statistics: { datasets: [{ name: 'train', numExamples: 10, features: [company([['Flash Cab', 7], ['Yellow', 3]])] }, { name: 'eval', numExamples: 10, features: [company([['Blue Diamond', 6], ['Yellow', 4]])] }] },
    };
    const html = render(payload);
    const train = rowOf(html, 'company', 'train');
    const evalRow = rowOf(html, 'company', 'eval');
    assert.match(train, /Flash Cab/);
    assert.doesNotMatch(train, /Blue Diamond/);
    assert.match(evalRow, /Blue Diamond/);
    assert.doesNotMatch(evalRow, /Flash Cab/);
    // The eval row also says how far it drifted from train: L-infinity |.7 − 0| = .7 on Flash Cab.
    assert.match(evalRow, /<td class="num drift"[^>]*>0.7000 L∞<\/td>/);
    assert.match(train, /baseline/);
  });

  it('shows an evaluation\'s baseline deltas, its intervals, and the plots when the curves are there', () => {
    const curve = { thresholds: [0.5, 0], tp: [3, 4], fp: [1, 6], tn: [5, 0], fn: [1, 0] };
    const payload: ViewerPayload = {
      kind: 'evaluation',
      artifact: { id: 6, type: 'ModelEvaluation', uri: '/e' },
      evaluation: {
        task: 'binary', label: 'y', split: 'eval', decision_threshold: 0.5, model: { id: 5, uri: '' }, baseline: { id: 4, uri: '', source: 'latest_blessed' },
        slices: [{
          name: 'Overall', slice: {}, example_count: 10,
          metrics: { example_count: 10, auc: 0.8, log_loss: 0.5 },
          confidence_intervals: { auc: [0.75, 0.85] },
          baseline_metrics: { example_count: 10, auc: 0.7, log_loss: 0.6 },
          diff: { auc: 0.1, log_loss: -0.1 },
          confusion_at_thresholds: curve,
          baseline_confusion_at_thresholds: curve,
          calibration_buckets: [{ lower: 0, upper: 0.1, count: 3, mean_prediction: 0.05, mean_label: 0 }],
        }],
      },
    };
    const html = render(payload);
    assert.match(html, /<tr class="better" data-metric="auc"><td>auc<\/td><td class="num">0.8<\/td><td class="num muted">\[0.75, 0.85\]<\/td><td class="num">0.7<\/td><td class="num delta">\+0.1<\/td>/);
    assert.match(html, /<tr class="better" data-metric="log_loss">/, 'a lower log loss is better');
    assert.match(html, /class="plot plot-roc"/);
    assert.match(html, /class="plot plot-pr"/);
    assert.match(html, /class="plot plot-calibration"/);
    assert.match(html, /<div class="ci muted">\[0.75, 0.85\]<\/div>/);
    // An evaluation written before the curves existed says why there are no plots, and with no baseline says so.
    const old = structuredClone(payload);
    if (old.kind !== 'evaluation') return;
    old.evaluation.baseline = null;
    delete old.evaluation.slices[0].baseline_metrics;
    delete old.evaluation.slices[0].confusion_at_thresholds;
    delete old.evaluation.slices[0].calibration_buckets;
    const oldHtml = render(old);
    assert.doesNotMatch(oldHtml, /class="plot /);
    assert.match(oldHtml, /No baseline model/);
  });

  it('finds the store above an artifact folder', () => {
    assert.equal(metadataFileAbove(join(root, 'a5', 'bundle')), join(root, 'metadata.json'));
    assert.equal(metadataFileAbove(tmpdir()), undefined);
  });
});

describe('viewers: one tab per kind unless pinned', () => {
  const tab = (contentKey: string, kind: string, pinned = false): SlotEntry => ({ contentKey, kind, pinned });

  it('reveals the tab showing the same thing, else reuses the kind\'s unpinned tab, else opens one', () => {
    const stats = tab('artifact:s:2', 'statistics');
    const evaluation = tab('artifact:s:6', 'evaluation');
    const tabs = [stats, evaluation];
    assert.deepEqual(chooseTab(tabs, 'artifact:s:6', 'evaluation'), { entry: evaluation, reused: 'same' });
    assert.deepEqual(chooseTab(tabs, 'artifact:s:9', 'statistics'), { entry: stats, reused: 'slot' });
    assert.equal(chooseTab(tabs, 'artifact:s:5', 'model'), undefined);
  });

  it('keeps a pinned tab: the next artifact of its kind opens beside it; unpinning makes it the reusable one', () => {
    const first = tab('artifact:s:2', 'statistics');
    const tabs = [first];
    assert.deepEqual(setPinned(tabs, first, true), [first]);
    assert.equal(chooseTab(tabs, 'artifact:s:9', 'statistics'), undefined, 'pinned: a new tab');
    assert.equal(chooseTab(tabs, 'artifact:s:2', 'statistics')?.entry, first, 'the pinned tab still answers for what it shows');
    const second = tab('artifact:s:9', 'statistics');
    tabs.push(second);
    // Unpinning the first pins the second: one reusable tab per kind.
    assert.deepEqual(setPinned(tabs, first, false), [first, second]);
    assert.equal(second.pinned, true);
    assert.equal(chooseTab(tabs, 'artifact:s:11', 'statistics')?.entry, first);
    assert.deepEqual(setPinned(tabs, first, false), [], 'no change');
  });

  it('draws the Pin button only once the host said whether the tab is pinned', () => {
    const payload = artifactPayload(data, 5);
    assert.doesNotMatch(render(payload), /pin-button/);
    assert.match(render(payload, false), /<button type="button" class="pin-button" aria-pressed="false"/);
    assert.match(render(payload, true), /class="pin-button pinned" aria-pressed="true"[^>]*><span class="codicon codicon-pinned"/);
  });
});

describe('viewers: messages and page', () => {
  it('lets through only the messages of the viewer schema', () => {
    assert.equal(checkViewerMessage({ type: 'pin', pinned: true }).ok, true);
    assert.deepEqual(checkViewerMessage({ type: 'ready' }), { ok: true, message: { type: 'ready' } });
    assert.equal(checkViewerMessage({ type: 'openArtifact', artifactId: 3 }).ok, true);
    assert.equal(checkViewerMessage({ type: 'decide', runId: '20261128-061705-ab12', nodeId: 'approval', reject: false }).ok, true);
    const decide = { type: 'decide', runId: 'r1', nodeId: 'approval', reject: true };
    for (const bad of [
      null,
      [],
      'ready',
      { type: 'openArtifact', artifactId: '3' },
      { type: 'openArtifact', artifactId: 0 },
      { type: 'openArtifact', artifactId: 3, path: '/etc' },
      { type: 'eval', code: '1' },
      { type: 'ready', extra: 1 },
      { ...decide, reject: 'yes' },
      { ...decide, nodeId: 'a b; rm -rf' },
      { ...decide, runId: '--reject' },
      { ...decide, comment: 'set by the page' },
      { type: 'pin', pinned: 'yes' },
      { type: 'pin' },
    ]) {
      assert.equal(checkViewerMessage(bad).ok, false, JSON.stringify(bad));
    }
  });

  it('serves a page whose CSP allows only the nonce script and the extension origin', () => {
    const html = viewerHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'N0nce', scriptUri: 'https://x/viewers.js', styleUri: 'https://x/viewers.css', title: 'A <b>' });
    const csp = /content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-N0nce'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|\*/);
    assert.match(html, /<script nonce="N0nce" src="https:\/\/x\/viewers.js"><\/script>/);
    assert.match(html, /<title>A &lt;b&gt;<\/title>/);
  });
});
