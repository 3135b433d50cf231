import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { runPipeline, type RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { listShards, splitDir } from '../../runtime/src/formats/examples.ts';
import type { TransformGraphJson } from '../../runtime/src/ml/api.ts';
import { applyTransformToRows, loadTransformGraph } from '../../runtime/src/ml/transform-graph.ts';

const TAXI_CSV = resolve('samples/taxi/data/taxi.csv');
const TAXI_MODULE = resolve('samples/taxi/taxi_transform.ts');

/** Rows of every shard of a split, as plain objects (what a serving request would carry). */
function readRows(examplesUri: string, split: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const file of listShards(examplesUri, split)) {
    for (const row of tableFromIPC(readFileSync(file))) rows.push(row!.toJSON() as Record<string, unknown>);
  }
  return rows;
}

describe('Transform component (pipeline runs)', function () {
  this.timeout(120_000);
  let dir: string;
  let pool: WorkerPool;

  const pipeline = (transformParams: Record<string, unknown>) => `name: transform-test
root: .tributary
nodes:
  example_gen:
    component: CsvExampleGen
    params: { input: ${JSON.stringify(TAXI_CSV)} }
  statistics_gen:
    component: StatisticsGen
    inputs: { examples: example_gen.examples }
  schema_gen:
    component: SchemaGen
    inputs: { statistics: statistics_gen.statistics }
  transform:
    component: Transform
    params: ${JSON.stringify(transformParams)}
    inputs: { examples: example_gen.examples, schema: schema_gen.schema }
`;
  const run = async (transformParams: Record<string, unknown>): Promise<RunSummary> => {
    writeFileSync(join(dir, 'p.pipeline.yaml'), pipeline(transformParams));
    return runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { pool });
  };
  const node = (s: RunSummary, id: string) => s.nodes.find((n) => n.id === id)!;

  let taxi: RunSummary;
  before(async () => {
    mkdirSync('test/.tmp', { recursive: true });
    dir = resolve(mkdtempSync(join('test/.tmp', 'transform-')));
    copyFileSync(TAXI_MODULE, join(dir, 'taxi_transform.ts'));
    pool = createPool(2);
    taxi = await run({ module_file: 'taxi_transform.ts', label: 'tips_xf' });
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('transforms the taxi sample: analyzers over train only, every split transformed', () => {
    const t = node(taxi, 'transform');
    assert.equal(t.state, 'COMPLETE', t.error);
    const graph = JSON.parse(readFileSync(join(t.outputs!.transform_graph.uri, 'transform_graph.json'), 'utf8')) as TransformGraphJson;
    assert.equal(graph.label, 'tips_xf');
    assert.equal(graph.outputFeatures.length, 17);

    // Independently: the fare z-score and the payment_type vocabulary from the raw train rows.
    const raw = readRows(node(taxi, 'example_gen').outputs!.examples.uri, 'train');
    const fares = raw.map((r) => (r.fare === null ? 0 : Number(r.fare)));
    const mean = fares.reduce((a, b) => a + b, 0) / fares.length;
    const std = Math.sqrt(fares.reduce((a, b) => a + (b - mean) ** 2, 0) / fares.length);
    const fareStats = graph.analyzers[1].result as { mean: number; std: number };
    assert.ok(Math.abs(fareStats.mean - mean) < 1e-9 && Math.abs(fareStats.std - std) < 1e-9);
    const counts = new Map<string, number>();
    for (const r of raw) counts.set(String(r.payment_type ?? ''), (counts.get(String(r.payment_type ?? '')) ?? 0) + 1);
    const expected = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).map(([v]) => v);
    assert.deepEqual((graph.analyzers[3].result as { vocabulary: string[] }).vocabulary, expected);

    const out = t.outputs!.transformed_examples;
    const props = out.properties as { splits: Record<string, { rows: number }> };
    const rawProps = node(taxi, 'example_gen').outputs!.examples.properties as { splits: Record<string, { rows: number }> };
    assert.equal(props.splits.train.rows, rawProps.splits.train.rows);
    assert.equal(props.splits.eval.rows, rawProps.splits.eval.rows);
    // The label as defined: tips > 0.2 · fare.
    const transformed = tableFromIPC(readFileSync(listShards(out.uri, 'train')[0]));
    const label = transformed.getChild('tips_xf')!.toArray() as Int32Array;
    for (let i = 0; i < 200; i++) {
      const r = raw[i];
      assert.equal(label[i], r.fare !== null && Number(r.tips ?? 0) > 0.2 * Number(r.fare) ? 1 : 0, `row ${i}`);
    }
  });

  it('serving = training: the graph applied to raw rows gives exactly the transformed examples', async () => {
    const t = node(taxi, 'transform');
    const graph = await loadTransformGraph(t.outputs!.transform_graph.uri);
    const rows = readRows(node(taxi, 'example_gen').outputs!.examples.uri, 'eval');
    const served = applyTransformToRows(graph, rows);
    const trained = listShards(t.outputs!.transformed_examples.uri, 'eval').map((f) => tableFromIPC(readFileSync(f)));
    for (const f of graph.json.outputFeatures) {
      const expected = trained.flatMap((tb) => [...(tb.getChild(f.name)!.toArray() as Float64Array | Int32Array)]);
      assert.equal(served[f.name].length, expected.length);
      assert.deepEqual([...served[f.name]], expected, f.name);
    }
    // Rows without the label's source column still transform (tips → all-missing → filled).
    const noTips = applyTransformToRows(graph, rows.slice(0, 5).map(({ tips: _tips, ...r }) => r));
    assert.deepEqual([...noTips.fare_xf], [...served.fare_xf.slice(0, 5)]);
    assert.throws(() => applyTransformToRows(graph, [{ fare: 'twelve' }]), /Instance 0: feature "fare" must be a number/);
  });

  it('a rerun is cached; editing the module file reruns the node', async () => {
    const again = await run({ module_file: 'taxi_transform.ts', label: 'tips_xf' });
    assert.equal(node(again, 'transform').state, 'CACHED');
    writeFileSync(join(dir, 'taxi_transform.ts'), readFileSync(join(dir, 'taxi_transform.ts'), 'utf8') + '\n// edited\n');
    const edited = await run({ module_file: 'taxi_transform.ts', label: 'tips_xf' });
    assert.equal(node(edited, 'example_gen').state, 'CACHED');
    assert.equal(node(edited, 'transform').state, 'COMPLETE');
  });

  it('a throwing preprocessing_fn fails the node with the user’s .ts line', async () => {
    const source = [
      "import type { PreprocessingFn } from '../../../runtime/src/ml/api.ts';",
      'export const preprocessing_fn: PreprocessingFn = (inputs, tft) => {',
      '  const fare = tft.scale_to_z_score(tft.fill_in_missing(inputs.fare as Float64Array));',
      "  if (fare.length > 0) throw new Error('bad fare handling');",
      '  return { fare };',
      '};',
    ].join('\n');
    writeFileSync(join(dir, 'broken.ts'), source);
    const s = await run({ module_file: 'broken.ts' });
    const t = node(s, 'transform');
    assert.equal(t.state, 'FAILED');
    assert.match(t.error!, /bad fare handling/);
    assert.match(t.error!, /broken\.ts:4:\d+/);
  });

  it('a label that is not an output, or a missing export, is a clear error', async () => {
    const s = await run({ module_file: 'taxi_transform.ts', label: 'nope' });
    assert.match(node(s, 'transform').error!, /label "nope" is not an output of preprocessing_fn \(outputs: trip_miles_xf/);
    const s2 = await run({ module_file: 'taxi_transform.ts', preprocessing_fn: 'preprocess' });
    assert.match(node(s2, 'transform').error!, /no exported function "preprocess" \(it exports: .*preprocessing_fn/);
  });

  it('exceeding timeout terminates the workers and fails the node quickly; the pool keeps working', async () => {
    writeFileSync(
      join(dir, 'slow.ts'),
      'export const preprocessing_fn = (inputs: Record<string, Float64Array>) => {\n  let x = 0;\n  while (x >= 0) x = (x + 1) % 7;\n  return { x: new Float32Array(inputs.fare.length) };\n};\n',
    );
    const started = Date.now();
    const s = await run({ module_file: 'slow.ts', timeout: 1 });
    const t = node(s, 'transform');
    assert.equal(t.state, 'FAILED');
    assert.match(t.error!, /exceeded its timeout of 1 s: its worker threads were terminated/);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    assert.equal(await pool.run('pool.echo', { value: 'alive' }), 'alive');
  });

  it('the transformed examples use the Examples layout', () => {
    const out = node(taxi, 'transform').outputs!.transformed_examples.uri;
    const table = tableFromIPC(readFileSync(listShards(out, 'train')[0]));
    assert.equal(String(table.getChild('fare_xf')!.type), 'Float64');
    assert.equal(String(table.getChild('company_xf')!.type), 'Int32');
    assert.ok(splitDir(out, 'eval').endsWith('Split-eval'));
  });
});
