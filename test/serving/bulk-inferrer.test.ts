import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { Value } from '@sinclair/typebox/value';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { execute } from '../../runtime/src/components/bulk-inferrer/executor.ts';
import { bulkInferrerParams } from '../../runtime/src/components/bulk-inferrer/spec.ts';
import { csvRecords, parseCsv } from '../../runtime/src/components/bulk-inferrer/csv.ts';
import { makeContext } from '../schema-gen/executor-context.ts';
import { sigmoid, taxiLikeColumns, writeExamples, writeModelArtifact } from './fixtures.ts';

describe('BulkInferrer', () => {
  let root: string;
  let pool: WorkerPool;
  let n = 0;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'bulk-'));
    pool = createPool(1);
    await writeModelArtifact(join(root, 'model'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0.25 });
  });
  after(async () => {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function run(params: Record<string, unknown>, examples?: string) {
    const { ctx } = makeContext({
      root: join(root, `run-${n++}`),
      pool,
      params: Value.Default(bulkInferrerParams, params) as Record<string, unknown>,
      inputs: { model: { type: 'Model', uri: join(root, 'model') }, examples: examples ? { type: 'Examples', uri: examples } : undefined },
      outputs: { inference_result: 'InferenceResult' },
    });
    await execute(ctx);
    const uri = ctx.outputs.inference_result.uri;
    return { table: tableFromIPC(readFileSync(join(uri, 'predictions.arrow'))), csv: readFileSync(join(uri, 'predictions.csv'), 'utf8'), props: ctx.outputs.inference_result.properties };
  }

  it('scores an unlabelled CSV (quotes, missing values) to Arrow and CSV', async () => {
    const file = join(root, 'unlabelled.csv');
    writeFileSync(file, 'trip_id,x1,x2\n"a,1",0.5,-1\nb,,2\r\n"c ""q""",-1.5,0.25\n');
    const { table, csv, props } = await run({ path: file });
    assert.equal(props.rows, 3);
    const expected = [sigmoid(2 * 0.5 + 1 + 0.25), sigmoid(0 - 2 + 0.25), sigmoid(-3 - 0.25 + 0.25)];
    const pred = table.getChild('prediction')!.toArray() as Float64Array;
    expected.forEach((e, i) => assert.ok(Math.abs(pred[i] - e) < 1e-6, `${pred[i]} vs ${e}`));
    assert.deepEqual(table.getChild('trip_id')!.toArray(), ['a,1', 'b', 'c "q"']);
    assert.equal(table.getChild('x1')!.get(1), null);
    const parsed = parseCsv(csv, 'out.csv');
    assert.deepEqual(parsed.header, ['trip_id', 'x1', 'x2', 'prediction']);
    assert.deepEqual(parsed.rows.map((r) => r[0]), ['a,1', 'b', 'c "q"']);
    parsed.rows.forEach((r, i) => assert.ok(Math.abs(Number(r[3]) - expected[i]) < 1e-6));
  });

  it('scores a split of an Examples artifact', async () => {
    const cols = taxiLikeColumns(30);
    const examples = writeExamples(join(root, 'examples'), 'eval', cols);
    const { table } = await run({ split: 'eval' }, examples);
    assert.equal(table.numRows, 30);
    const pred = table.getChild('prediction')!.toArray() as Float64Array;
    for (let i = 0; i < 30; i++) assert.ok(Math.abs(pred[i] - sigmoid(2 * cols.x1[i] - cols.x2[i] + 0.25)) < 1e-6);
  });

  it('scores a many-shard split on 2 workers in input order, streamed part by part', async () => {
    const cols = taxiLikeColumns(90);
    const dir = join(root, 'sharded', 'Split-eval');
    mkdirSync(dir, { recursive: true });
    for (let s = 0; s < 3; s++) {
      const part = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.slice(s * 30, (s + 1) * 30)]));
      writeFileSync(join(dir, `part-0000${s}.arrow`), tableToIPC(tableFromArrays(part), 'file'));
    }
    const two = createPool(2);
    try {
      const { ctx } = makeContext({
        root: join(root, 'two-workers'),
        pool: two,
        params: Value.Default(bulkInferrerParams, {}) as Record<string, unknown>,
        inputs: { model: { type: 'Model', uri: join(root, 'model') }, examples: { type: 'Examples', uri: join(root, 'sharded') } },
        outputs: { inference_result: 'InferenceResult' },
      });
      const progress: { done: number; perSecond?: number }[] = [];
      ctx.progress = (p) => progress.push(p);
      await execute(ctx);
      const uri = ctx.outputs.inference_result.uri;
      const table = tableFromIPC(readFileSync(join(uri, 'predictions.arrow')));
      assert.equal(table.numRows, 90);
      assert.equal(table.batches.length, 3);
      assert.deepEqual(Array.from(table.getChild('x1')!.toArray() as Float64Array), Array.from(cols.x1));
      const pred = table.getChild('prediction')!.toArray() as Float64Array;
      for (let i = 0; i < 90; i++) assert.ok(Math.abs(pred[i] - sigmoid(2 * cols.x1[i] - cols.x2[i] + 0.25)) < 1e-6);
      assert.equal(parseCsv(readFileSync(join(uri, 'predictions.csv'), 'utf8'), 'out.csv').rows.length, 90);
      assert.equal(progress.at(-1)!.done, 90);
      assert.ok(progress.at(-1)!.perSecond! > 0);
      assert.deepEqual(readdirSync(uri).sort(), ['predictions.arrow', 'predictions.csv']);
    } finally {
      await two.close();
    }
  });

  it('reads CSV records across chunk ends (quotes, "" escapes, CRLF split between chunks)', () => {
    const text = 'a,b\r\n"x,""1""\ny",2\r\n3,"4"\n';
    const whole = [...csvRecords([text], 'f.csv')];
    const oneCharChunks = [...csvRecords([...text], 'f.csv')];
    assert.deepEqual(oneCharChunks, whole);
    assert.deepEqual(whole.map((r) => r.fields), [['a', 'b'], ['x,"1"\ny', '2'], ['3', '4']]);
    assert.deepEqual(whole.map((r) => r.line), [1, 2, 4]);
  });

  it('reports malformed CSV with file and line', async () => {
    const file = join(root, 'bad.csv');
    writeFileSync(file, 'x1,x2\n1,2\n3,four\n');
    await assert.rejects(run({ path: file }), (e: Error) => e.name === 'UserError' && /bad\.csv:3: column "x2" \(FLOAT\) has the non-number "four"/.test(e.message));
    writeFileSync(file, 'x1,x2\n1,2,3\n');
    await assert.rejects(run({ path: file }), /bad\.csv:2: 3 fields, the header has 2/);
    await assert.rejects(run({}), /Nothing to score/);
  });
});
