import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, GROUPS_PER_SPLIT, groupShards } from '../../runtime/src/components/statistics-gen/executor.ts';
import { scanShards } from '../../runtime/src/components/statistics-gen/shard.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { DatasetFeatureStatisticsList } from '../../runtime/src/formats/statistics.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import { type ColumnDef, writeSplit } from './fixtures.ts';

const OPTIONS = { distinctExactLimit: 10_000, sketchK: 200, heavyHitterCapacity: 1024 };

function columns(rows: number, seed: number): ColumnDef[] {
  const r = mulberry32(seed);
  return [
    { name: 'n', type: 'INT', values: Array.from({ length: rows }, () => (r() < 0.1 ? null : Math.floor(r() * 100))) },
    { name: 'x', type: 'FLOAT', values: Array.from({ length: rows }, () => r() * 1000) },
    { name: 's', type: 'STRING', values: Array.from({ length: rows }, () => (r() < 0.2 ? null : `v${Math.floor(r() * 30)}`)) },
  ];
}

const slice = (cols: ColumnDef[], from: number, to: number) => cols.map((c) => ({ ...c, values: c.values.slice(from, to) }));

describe('StatisticsGen shard groups', () => {
  let dir: string;
  let pools: WorkerPool[];
  const rows = 5000;
  const train = columns(rows, 11);
  const cuts = [0, 400, 900, 1500, 2000, 2600, 3100, 3700, 4200, 4600, rows]; // 10 shards of varying size
  let trainFiles: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-group-'));
    trainFiles = writeSplit(join(dir, 'examples'), 'train', cuts.slice(1).map((to, i) => slice(train, cuts[i], to)));
    writeSplit(join(dir, 'examples'), 'eval', [slice(columns(300, 12), 0, 300)]);
    pools = [createPool(1), createPool(2)];
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts shards into consecutive groups of near-equal length, independent of anything else', () => {
    assert.equal(GROUPS_PER_SPLIT, 4);
    assert.deepEqual(groupShards([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), [[1, 2, 3], [4, 5, 6], [7, 8], [9, 10]]);
    assert.deepEqual(groupShards([1, 2]), [[1], [2]]);
    assert.deepEqual(groupShards([]), []);
  });

  it('one task over a group counts exactly what its shards hold', () => {
    const p = scanShards({ files: trainFiles.slice(0, 3), split: 'train', ...OPTIONS });
    assert.equal(p.rows, 1500);
    const n = p.features.find((f) => f.name === 'n')!;
    const s = p.features.find((f) => f.name === 's')!;
    const nValues = train[0].values.slice(0, 1500).filter((v) => v !== null) as number[];
    assert.equal(n.present, nValues.length);
    assert.equal(n.kind === 'numeric' && n.min, Math.min(...nValues));
    assert.equal(s.present, train[2].values.slice(0, 1500).filter((v) => v !== null).length);
    assert.deepEqual(p.features.map((f) => f.name), ['n', 'x', 's']);
  });

  it('rejects a column whose type changes inside a group, naming the split and file', () => {
    const other = join(dir, 'other');
    const [a, b] = writeSplit(other, 'train', [slice(train, 0, 10), [{ name: 'n', type: 'STRING', values: ['a', 'b'] }]]);
    assert.throws(() => scanShards({ files: [a, b], split: 'train', ...OPTIONS }), (e: unknown) => e instanceof UserError && /"n" changes type between shards of split "train" \(at .*part-00001/.test(e.message));
  });

  it('gives byte-identical statistics with 1 and 2 workers and exact counts that match the rows', async () => {
    const texts: string[] = [];
    for (const pool of pools) {
      const out = mkdtempSync(join(dir, 'out-'));
      const ctx: any = {
        nodeId: 'stats',
        params: { exclude_splits: [], top_k: 5, num_histogram_buckets: 10, num_quantiles_histogram_buckets: 10, distinct_exact_limit: 1000, sketch_k: 200 },
        inputs: { examples: { id: 1, type: 'Examples', uri: join(dir, 'examples'), properties: { splitNames: ['train', 'eval'] } } },
        outputs: { statistics: { type: 'ExampleStatistics', uri: out, properties: {} } },
        pool,
        log: { info() {}, warn() {}, error() {} },
        progress() {},
        signal: new AbortController().signal,
      };
      await execute(ctx);
      texts.push(readFileSync(join(out, 'FeatureStats.json'), 'utf8'));
    }
    assert.equal(texts[0], texts[1]);
    const stats = JSON.parse(texts[0]) as DatasetFeatureStatisticsList;
    const t = stats.datasets.find((d) => d.name === 'train')!;
    assert.equal(t.numExamples, rows);
    const n = t.features.find((f) => f.name === 'n')!;
    const present = train[0].values.filter((v) => v !== null) as number[];
    assert.equal(n.numStats!.commonStats.numNonMissing, present.length);
    assert.ok(Math.abs(n.numStats!.mean - present.reduce((a, b) => a + b, 0) / present.length) < 1e-9);
    // x has 5000 distinct values > distinct_exact_limit: sketched, still flagged so.
    const x = t.features.find((f) => f.name === 'x')!;
    assert.equal(x.customStats!.find((c) => c.name === 'unique_is_estimate')!.num, 1);
  });
});
