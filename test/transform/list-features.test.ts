import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { runPipeline, type RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { listShards } from '../../runtime/src/formats/examples.ts';
import type { TransformGraphJson } from '../../runtime/src/ml/api.ts';
import { applyTransformToRows, loadTransformGraph } from '../../runtime/src/ml/transform-graph.ts';
import { writeTfRecord, type ExampleDef } from '../data-sources/tfrecord-files.ts';

const WORDS = ['good', 'bad', 'meh', 'odd'];

/** Example i: 0–3 words, 1–3 scores, x (missing every 7th), label = first word is "good". */
function example(i: number): ExampleDef {
  const words = Array.from({ length: i % 4 }, (_, j) => WORDS[(i * 7 + j * 3) % 4]);
  const e: ExampleDef = {
    words: { bytes: words },
    scores: { float: Array.from({ length: 1 + (i % 3) }, (_, j) => ((i * 13 + j * 5) % 17) / 4) },
    label: { int64: [words[0] === 'good' ? 1 : 0] },
  };
  if (i % 7 !== 0) e.x = { float: [i / 50] };
  return e;
}

function readTable(uri: string, split: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const file of listShards(uri, split)) {
    const t = tableFromIPC(readFileSync(file));
    for (const f of t.schema.fields) {
      const c = t.getChild(f.name)!;
      for (let i = 0; i < t.numRows; i++) (out[f.name] ??= []).push(c.get(i));
    }
  }
  return out;
}

describe('Transform over list features (TFRecord → Transform → Trainer)', function () {
  this.timeout(180_000);
  let dir: string;
  let pool: WorkerPool;
  let summary: RunSummary;
  const node = (id: string) => summary.nodes.find((n) => n.id === id)!;

  before(async () => {
    mkdirSync('test/.tmp', { recursive: true });
    dir = resolve(mkdtempSync(join('test/.tmp', 'list-transform-')));
    copyFileSync(resolve('test/transform/fixtures/list_module.ts'), join(dir, 'list_module.ts'));
    writeTfRecord(join(dir, 'data.tfrecord'), Array.from({ length: 600 }, (_, i) => example(i)));
    writeFileSync(
      join(dir, 'p.pipeline.yaml'),
      `name: list-transform
root: .tributary
nodes:
  example_gen:
    component: ImportExampleGen
    params: { input: data.tfrecord }
  statistics_gen:
    component: StatisticsGen
    inputs: { examples: example_gen.examples }
  schema_gen:
    component: SchemaGen
    inputs: { statistics: statistics_gen.statistics }
  transform:
    component: Transform
    params: { module_file: list_module.ts, label: label }
    inputs: { examples: example_gen.examples, schema: schema_gen.schema }
  trainer:
    component: Trainer
    inputs: { examples: transform.transformed_examples, transform_graph: transform.transform_graph, schema: schema_gen.schema }
    params: { module_file: list_module.ts, epochs: 2, batch_size: 64, backend: cpu }
`,
    );
    pool = createPool(2);
    summary = await runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { pool });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs end to end: the list features reach preprocessing_fn and the Trainer trains on the result', () => {
    assert.equal(summary.state, 'COMPLETE', JSON.stringify(summary.nodes.map((n) => [n.id, n.state, n.error])));
    const graph = JSON.parse(readFileSync(join(node('transform').outputs!.transform_graph.uri, 'transform_graph.json'), 'utf8')) as TransformGraphJson;
    assert.deepEqual(
      graph.rawFeatures.map((f) => [f.name, f.type, f.list ?? false]),
      [['label', 'INT', false], ['scores', 'FLOAT', true], ['words', 'STRING', true], ['x', 'FLOAT', false]],
    );
    assert.ok(node('trainer').outputs!.model.uri);
  });

  it('list helpers and analyzers over list values give what the raw lists say', () => {
    const graph = JSON.parse(readFileSync(join(node('transform').outputs!.transform_graph.uri, 'transform_graph.json'), 'utf8')) as TransformGraphJson;
    const raw = readTable(node('example_gen').outputs!.examples.uri, 'train');
    const out = readTable(node('transform').outputs!.transformed_examples.uri, 'train');
    const words = raw.words.map((l) => [...(l as Iterable<string>)]);
    const scores = raw.scores.map((l) => [...(l as Iterable<number>)]);

    // One vocabulary over every word of every train row (frequency, then bytes descending).
    const counts = new Map<string, number>();
    for (const w of words.flat()) counts.set(w, (counts.get(w) ?? 0) + 1);
    const vocabulary = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).map(([w]) => w);
    assert.deepEqual((graph.analyzers[0].result as { vocabulary: string[] }).vocabulary, vocabulary);
    // The z-score's moments are over all values, not over rows.
    const all = scores.flat();
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const std = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length);
    const z = graph.analyzers[1].result as { mean: number; std: number; count: number };
    assert.equal(z.count, all.length);
    assert.ok(Math.abs(z.mean - mean) < 1e-9 && Math.abs(z.std - std) < 1e-9);

    const padding = vocabulary.length;
    assert.deepEqual(graph.outputFeatures.find((f) => f.name === 'first_word')!.vocabularySize, padding + 1);
    words.forEach((w, i) => {
      assert.equal(out.n_words[i], w.length, `row ${i}`);
      assert.equal(out.first_word[i], w.length > 0 ? vocabulary.indexOf(w[0]) : padding, `row ${i}`);
      assert.equal(out.second_word[i], w.length > 1 ? vocabulary.indexOf(w[1]) : padding, `row ${i}`);
      const zs = scores[i].map((v) => Math.fround((v - mean) / std));
      assert.ok(Math.abs((out.score_mean[i] as number) - zs.reduce((a, b) => a + b, 0) / zs.length) < 1e-5, `row ${i}`);
      assert.equal(out.score_max[i], Math.fround(Math.max(...scores[i])));
    });
  });

  it('the model server accepts a list feature as an array of values and checks each value', async () => {
    const { readBundleInfo } = await import('../../runtime/src/ml/bundle.ts');
    const { parsePredictRequest } = await import('../../runtime/src/serving/server.ts');
    const info = readBundleInfo(join(node('trainer').outputs!.model.uri, 'bundle'));
    assert.equal(info.rawFeatures.find((f) => f.name === 'words')?.list, true);
    const ok = parsePredictRequest(JSON.stringify({ instances: [{ words: ['good', 'odd'], scores: [1.5], x: 1 }, { words: 'meh', scores: null, x: null }] }), info, 100);
    assert.equal(ok.rows.length, 2);
    assert.throws(() => parsePredictRequest(JSON.stringify({ instances: [{ words: ['good', 3], scores: [], x: 1 }] }), info, 100), /instances\[0\]\.words\[\] must be a string, got 3/);
    assert.throws(() => parsePredictRequest(JSON.stringify({ instances: [{ words: [], scores: [], x: [1, 2] }] }), info, 100), /instances\[0\]\.x must be a number \(FLOAT\), got \[1,2\]/);
  });

  it('serving takes lists as JSON arrays (a scalar is a list of one, null an empty list) and matches training', async () => {
    const graph = await loadTransformGraph(node('transform').outputs!.transform_graph.uri);
    const vocabulary = (graph.json.analyzers[0].result as { vocabulary: string[] }).vocabulary;
    const served = applyTransformToRows(graph, [
      { words: ['odd', 'good', 'bad'], scores: [1, 2], x: 3, label: 1 },
      { words: 'meh', scores: null, x: null },
      {},
    ]);
    assert.deepEqual([...served.n_words], [3, 1, 0]);
    assert.deepEqual([...served.first_word], [vocabulary.indexOf('odd'), vocabulary.indexOf('meh'), vocabulary.length]);
    assert.deepEqual([...served.score_max], [2, -1, -1]);
    assert.throws(() => applyTransformToRows(graph, [{ scores: ['x'] }]), /Instance 0: feature "scores" must be a list of numbers, found "x"/);

    const raw = readTable(node('example_gen').outputs!.examples.uri, 'eval');
    const rows = raw.words.map((_, i) => Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v[i] && typeof v[i] === 'object' ? [...(v[i] as Iterable<unknown>)] : v[i]])));
    const again = applyTransformToRows(graph, rows);
    const trained = readTable(node('transform').outputs!.transformed_examples.uri, 'eval');
    for (const f of graph.json.outputFeatures) assert.deepEqual([...again[f.name]], trained[f.name], f.name);
  });
});
