import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { compileUserModule } from '../../runtime/src/modules/compile-module.ts';
import { analyzeShard, TRANSFORM_BATCH_ROWS, applyShard } from '../../runtime/src/components/transform/tasks.ts';
import { finishAnalysis } from '../../runtime/src/components/transform/executor.ts';
import { importUserExport } from '../../runtime/src/ml/user-module.ts';
import { accumulateAnalyzers, runPreprocessing } from '../../runtime/src/ml/transform-graph.ts';
import { readRawShard } from '../../runtime/src/components/transform/shard-io.ts';
import type { PreprocessingFn } from '../../runtime/src/ml/api.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

const MODULE = `
export function preprocessing_fn(inputs, tft) {
  return {
    x_z: tft.scale_to_z_score(tft.fill_in_missing(inputs.x)),
    city_id: tft.compute_and_apply_vocabulary(tft.fill_in_missing(inputs.city)),
    batch_rows: new Float32Array(inputs.x.length).fill(inputs.x.length),
  };
}
`;

describe('Transform: a shard in batches of rows', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'apply-batches-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives exactly what the whole shard gives, and the user function never sees more than TRANSFORM_BATCH_ROWS rows', async () => {
    const rows = 2 * TRANSFORM_BATCH_ROWS + 1234;
    const random = mulberry32(3);
    const cities = ['a', 'b', 'c', 'd'];
    const x = Float64Array.from({ length: rows }, () => (random() < 0.05 ? NaN : random() * 100));
    const city = Array.from({ length: rows }, () => (random() < 0.05 ? null : cities[Math.floor(random() * 4)]));
    const file = join(dir, 'raw.arrow');
    writeFileSync(file, tableToIPC(tableFromArrays({ x, city }), 'file'));
    const source = join(dir, 'module.ts');
    writeFileSync(source, MODULE);
    const compiled = await compileUserModule(source, { outDir: dir });
    const base = { modulePath: compiled.path, exportName: 'preprocessing_fn', rawFeatures: [{ name: 'x', type: 'FLOAT' as const }, { name: 'city', type: 'STRING' as const }], file };
    const { analyzers } = finishAnalysis([await analyzeShard(base)]);

    // Analyze: the batches' partials merged equal one pass over the whole shard (counts exactly, moments to rounding).
    const fn = await importUserExport<PreprocessingFn>(compiled.path, 'preprocessing_fn');
    const raw = readRawShard(file, base.rawFeatures).columns;
    const onePass = finishAnalysis([{ rows, partials: accumulateAnalyzers(fn, raw) }]).analyzers;
    assert.deepEqual(analyzers.map((a) => [a.kind, a.helper]), onePass.map((a) => [a.kind, a.helper]));
    for (const [i, a] of analyzers.entries()) {
      const b = onePass[i];
      if (a.kind === 'mean_and_var') {
        const [x, y] = [a.result as Record<string, number>, b.result as Record<string, number>];
        assert.equal(x.count, y.count);
        for (const k of ['mean', 'var']) assert.ok(Math.abs(x[k] - y[k]) <= 1e-9 * Math.abs(y[k]), `${k} ${x[k]} vs ${y[k]}`);
      } else {
        assert.deepEqual(a.result, b.result);
      }
    }

    const outFile = join(dir, 'out.arrow');
    const applied = await applyShard({ ...base, analyzers, outFile });
    assert.equal(applied.rows, rows);
    assert.equal(applied.outputs.length, 3);
    const out = tableFromIPC(readFileSync(outFile));

    const whole = runPreprocessing(fn, analyzers, raw).columns;
    assert.deepEqual(Array.from(out.getChild('x_z')!.toArray() as Float64Array), Array.from(whole.x_z));
    assert.deepEqual(Array.from(out.getChild('city_id')!.toArray() as Int32Array), Array.from(whole.city_id));
    const seen = new Set(out.getChild('batch_rows')!.toArray() as Float64Array);
    assert.deepEqual([...seen].sort((a, b) => a - b), [1234, TRANSFORM_BATCH_ROWS]);
    // Written as it was transformed: one record batch per batch of rows, never the whole shard at once.
    assert.deepEqual(out.batches.map((b) => b.numRows), [TRANSFORM_BATCH_ROWS, TRANSFORM_BATCH_ROWS, 1234]);
  });

  it('outputs that change from one batch to the next are an error, and no half-written shard stays', async () => {
    const rows = TRANSFORM_BATCH_ROWS + 10;
    const file = join(dir, 'raw-changing.arrow');
    writeFileSync(file, tableToIPC(tableFromArrays({ x: Float64Array.from({ length: rows }, (_, i) => i) }), 'file'));
    const source = join(dir, 'changing.ts');
    writeFileSync(source, `export function preprocessing_fn(inputs) {
  const n = inputs.x.length;
  return { y: n === ${TRANSFORM_BATCH_ROWS} ? new Int32Array(n) : new Float32Array(n) };
}
`);
    const compiled = await compileUserModule(source, { outDir: dir });
    const outFile = join(dir, 'changing-out.arrow');
    await assert.rejects(
      applyShard({ modulePath: compiled.path, exportName: 'preprocessing_fn', rawFeatures: [{ name: 'x', type: 'FLOAT' as const }], file, analyzers: [], outFile }),
      /y:float32 for rows 16385–16394 of .*raw-changing\.arrow, but y:int32 for earlier rows/,
    );
    assert.ok(!existsSync(outFile), 'the partial shard is removed');
  });
});
