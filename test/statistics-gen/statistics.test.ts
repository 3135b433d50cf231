import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NumericAccumulator, type SketchOptions } from '../../runtime/src/components/statistics-gen/accumulators/numeric.ts';
import { StringAccumulator } from '../../runtime/src/components/statistics-gen/accumulators/string.ts';
import { execute } from '../../runtime/src/components/statistics-gen/executor.ts';
import { statisticsGen } from '../../runtime/src/components/statistics-gen/index.ts';
import { scanShard, type FeaturePartial } from '../../runtime/src/components/statistics-gen/shard.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { DatasetFeatureStatisticsList, FeatureNameStatistics } from '../../runtime/src/formats/statistics.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import { type Cell, type ColumnDef, writeSplit } from './fixtures.ts';

const OPTIONS: SketchOptions = { distinctExactLimit: 10_000, sketchK: 200, heavyHitterCapacity: 1024 };

/** A small taxi-like table with nulls, zeros, NaN-free floats, ints stored both ways and strings. */
function makeColumns(rows: number, seed: number): ColumnDef[] {
  const r = mulberry32(seed);
  const maybe = <T>(p: number, f: () => T): T | null => (r() < p ? null : f());
  const pay = ['Cash', 'Credit Card', 'Mobile', 'Prcard', 'Unknown', 'Zöne'];
  return [
    { name: 'hour', type: 'INT', values: Array.from({ length: rows }, () => maybe(0.1, () => Math.floor(r() * 24))) },
    { name: 'seconds', type: 'INT', intAsFloat: true, values: Array.from({ length: rows }, () => maybe(0.2, () => Math.floor(r() * 3000))) },
    { name: 'fare', type: 'FLOAT', values: Array.from({ length: rows }, () => maybe(0.05, () => (r() < 0.1 ? 0 : 1e6 + Math.round(r() * 4000) / 100))) },
    { name: 'payment', type: 'STRING', values: Array.from({ length: rows }, () => maybe(0.15, () => pay[Math.floor(r() * r() * pay.length)])) },
  ];
}

function sliceColumns(cols: ColumnDef[], from: number, to: number): ColumnDef[] {
  return cols.map((c) => ({ ...c, values: c.values.slice(from, to) }));
}

function accumulate(partials: FeaturePartial[][]): (NumericAccumulator | StringAccumulator)[] {
  const from = (p: FeaturePartial) => (p.kind === 'numeric' ? NumericAccumulator.fromPartial(p, OPTIONS) : StringAccumulator.fromPartial(p, OPTIONS));
  const accs = partials[0].map(from);
  for (const shard of partials.slice(1)) shard.forEach((p, i) => (accs[i] as any).merge(from(p)));
  return accs;
}

/** Lower quantile, computed independently: sorted[ceil(q·n) − 1]. */
function lowerQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function counts(values: Cell[]): [string | number, number][] {
  const m = new Map<string | number, number>();
  for (const v of values) if (v !== null) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

describe('StatisticsGen accumulators', () => {
  let dir: string;
  const rows = 3000;
  const columns = makeColumns(rows, 99);
  let shardFiles: string[];
  let wholeFile: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-acc-'));
    shardFiles = writeSplit(join(dir, 'sharded'), 'train', [sliceColumns(columns, 0, 1000), sliceColumns(columns, 1000, 1700), sliceColumns(columns, 1700, rows)]);
    [wholeFile] = writeSplit(join(dir, 'whole'), 'train', [columns]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('merging shard partials equals one pass over all rows on exact fields', () => {
    const merged = accumulate(shardFiles.map((file) => scanShard({ file, ...OPTIONS }).features));
    const single = accumulate([scanShard({ file: wholeFile, ...OPTIONS }).features]);
    for (let i = 0; i < merged.length; i++) {
      const a = merged[i];
      const b = single[i];
      assert.equal(a.present, b.present, a.name);
      assert.equal(a.exact, true);
      assert.equal(a.distinct(), b.distinct());
      assert.deepEqual(a.freq.top(50), b.freq.top(50));
      if (a instanceof NumericAccumulator && b instanceof NumericAccumulator) {
        for (const k of ['zeros', 'min', 'max', 'nan'] as const) assert.equal(a[k], b[k], `${a.name}.${k}`);
        assert.ok(Math.abs(a.moments.mean - b.moments.mean) <= 1e-9 * Math.abs(b.moments.mean));
        assert.ok(Math.abs(a.moments.m2 - b.moments.m2) <= 1e-9 * Math.abs(b.moments.m2));
      }
    }
  });

  it('statistics match brute-force values', () => {
    const accs = accumulate(shardFiles.map((file) => scanShard({ file, ...OPTIONS }).features));
    for (const col of columns) {
      const acc = accs.find((a) => a.name === col.name)!;
      const present = col.values.filter((v) => v !== null);
      assert.equal(acc.present, present.length);
      assert.equal(acc.distinct(), new Set(present).size);
      assert.deepEqual(
        acc.freq.top(5).keys,
        counts(col.values).slice(0, 5).map(([k]) => k),
      );
      if (acc instanceof NumericAccumulator) {
        const xs = (present as number[]).slice().sort((a, b) => a - b);
        const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
        const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
        assert.equal(acc.min, xs[0]);
        assert.equal(acc.max, xs[xs.length - 1]);
        assert.equal(acc.zeros, xs.filter((x) => x === 0).length);
        assert.ok(Math.abs(acc.moments.mean - mean) <= 1e-9 * Math.abs(mean));
        assert.ok(Math.abs(Math.sqrt(acc.moments.m2 / acc.moments.n) - std) <= 1e-9 * std);
      } else {
        const bytes = (present as string[]).reduce((s, x) => s + Buffer.byteLength(x), 0);
        assert.equal(acc.totalBytes, bytes);
      }
    }
  });

  it('switches to sketches past distinct_exact_limit and stays close', () => {
    const small = { ...OPTIONS, distinctExactLimit: 100, heavyHitterCapacity: 100 };
    const parts = shardFiles.map((file) => scanShard({ file, ...small }).features);
    const from = (p: FeaturePartial) => NumericAccumulator.fromPartial(p as any, small);
    const acc = from(parts[0][1]);
    for (const p of parts.slice(1)) acc.merge(from(p[1]));
    const truth = new Set(columns[1].values.filter((v) => v !== null)).size;
    assert.equal(acc.exact, false);
    assert.ok(Math.abs(acc.distinct() - truth) / truth < 0.03, `${acc.distinct()} vs ${truth}`);
    assert.equal(acc.sample().total, acc.present - acc.nan);
  });
});

describe('StatisticsGen executor', () => {
  let dir: string;
  let pools: WorkerPool[];
  const train = makeColumns(4000, 5);
  const evalCols = makeColumns(500, 6);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-exec-'));
    writeSplit(join(dir, 'examples'), 'train', [sliceColumns(train, 0, 1500), sliceColumns(train, 1500, 2600), sliceColumns(train, 2600, 4000)]);
    writeSplit(join(dir, 'examples'), 'eval', [evalCols]);
    pools = [createPool(1), createPool(2)];
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(pool: WorkerPool, params: Record<string, unknown> = {}, schemaUri?: string) {
    const out = mkdtempSync(join(dir, 'out-'));
    const defaults = { exclude_splits: [], top_k: 20, num_histogram_buckets: 10, num_quantiles_histogram_buckets: 10, distinct_exact_limit: 10_000, sketch_k: 200 };
    const ctx: any = {
      nodeId: 'stats',
      params: { ...defaults, ...params },
      inputs: {
        examples: { id: 1, type: 'Examples', uri: join(dir, 'examples'), properties: { splitNames: ['train', 'eval'] } },
        schema: schemaUri ? { id: 2, type: 'Schema', uri: schemaUri, properties: {} } : undefined,
      },
      outputs: { statistics: { type: 'ExampleStatistics', uri: out, properties: {} } },
      pool,
      log: { info() {}, warn() {}, error() {} },
      progress() {},
      signal: new AbortController().signal,
    };
    await execute(ctx);
    const text = readFileSync(join(out, 'FeatureStats.json'), 'utf8');
    return { text, json: JSON.parse(text) as DatasetFeatureStatisticsList, properties: ctx.outputs.statistics.properties };
  }

  it('declares its spec: type, inputs, outputs and parameters', () => {
    const s = statisticsGen.spec;
    assert.equal(s.type, 'StatisticsGen');
    assert.deepEqual(Object.keys(s.params.properties).sort(), ['distinct_exact_limit', 'exclude_splits', 'num_histogram_buckets', 'num_quantiles_histogram_buckets', 'sketch_k', 'top_k']);
    assert.equal(s.inputs.schema.optional, true);
    assert.equal(s.outputs.statistics.type, 'ExampleStatistics');
  });

  it('gives byte-identical output with 1 and 2 workers (also in sketch mode)', async () => {
    for (const params of [{}, { distinct_exact_limit: 50 }]) {
      const a = await run(pools[0], params);
      const b = await run(pools[1], params);
      assert.equal(a.text, b.text);
    }
  });

  it('writes TFDV-shaped statistics that match brute force', async () => {
    const { json, properties } = await run(pools[1]);
    assert.deepEqual(properties, { splitNames: ['train', 'eval'], numExamples: { train: 4000, eval: 500 } });
    assert.deepEqual(json.datasets.map((d) => [d.name, d.numExamples]), [['train', 4000], ['eval', 500]]);
    const byName = new Map(json.datasets[0].features.map((f) => [f.name, f]));
    assert.deepEqual([...byName.keys()], ['hour', 'seconds', 'fare', 'payment']);

    const fare = byName.get('fare')!;
    assert.equal(fare.type, 'FLOAT');
    assert.deepEqual(Object.keys(fare.numStats!).sort(), ['commonStats', 'histograms', 'max', 'mean', 'median', 'min', 'numZeros', 'stdDev'].sort());
    const xs = (train[2].values.filter((v) => v !== null) as number[]).sort((a, b) => a - b);
    const ns = fare.numStats!;
    assert.deepEqual(ns.commonStats, { numNonMissing: xs.length, numMissing: 4000 - xs.length, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: xs.length });
    assert.equal(ns.median, lowerQuantile(xs, 0.5));
    assert.equal(ns.min, xs[0]);
    assert.equal(ns.max, xs[xs.length - 1]);
    assert.equal(ns.numZeros, xs.filter((x) => x === 0).length);
    const [standard, quantilesH] = ns.histograms;
    assert.equal(standard.type, 'STANDARD');
    assert.equal(standard.buckets.length, 10);
    const width = (xs[xs.length - 1] - xs[0]) / 10;
    standard.buckets.forEach((b, i) => {
      const inBucket = xs.filter((x) => Math.min(9, Math.floor((x - xs[0]) / width)) === i).length;
      assert.equal(b.sampleCount, inBucket, `bucket ${i}`);
    });
    assert.equal(quantilesH.type, 'QUANTILES');
    assert.deepEqual(
      quantilesH.buckets.map((b) => b.highValue),
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => lowerQuantile(xs, i / 10)).concat(xs[xs.length - 1]),
    );
    const custom = (f: FeatureNameStatistics, name: string) => f.customStats!.find((c) => c.name === name);
    assert.equal(custom(fare, 'unique')!.num, new Set(xs).size);
    assert.equal(custom(fare, 'unique_is_estimate')!.num, 0);
    assert.equal(custom(fare, 'p25')!.num, lowerQuantile(xs, 0.25));

    const hour = byName.get('hour')!;
    assert.equal(hour.type, 'INT');
    const hourTop = JSON.parse(custom(hour, 'top_values')!.str!);
    assert.deepEqual(hourTop.slice(0, 3), counts(train[0].values).slice(0, 3).map(([value, frequency]) => ({ value, frequency })));
    assert.equal(byName.get('seconds')!.type, 'INT');

    const pay = byName.get('payment')!;
    assert.equal(pay.type, 'STRING');
    const expected = counts(train[3].values);
    const ss = pay.stringStats!;
    assert.equal(ss.unique, expected.length);
    assert.deepEqual(ss.topValues, expected.map(([value, frequency]) => ({ value, frequency })));
    assert.deepEqual(ss.rankHistogram!.buckets, expected.map(([label, sampleCount], i) => ({ lowRank: i, highRank: i, label, sampleCount })));
    const present = train[3].values.filter((v) => v !== null) as string[];
    assert.equal(ss.avgLength, present.reduce((s, x) => s + Buffer.byteLength(x), 0) / present.length);
    assert.equal(ss.commonStats.numMissing, 4000 - present.length);
  });

  it('marks sketched distinct counts as estimates', async () => {
    const { json } = await run(pools[0], { distinct_exact_limit: 50 });
    const seconds = json.datasets[0].features.find((f) => f.name === 'seconds')!;
    assert.equal(seconds.customStats!.find((c) => c.name === 'unique_is_estimate')!.num, 1);
    const truth = new Set(train[1].values.filter((v) => v !== null)).size;
    const est = seconds.customStats!.find((c) => c.name === 'unique')!.num!;
    assert.ok(Math.abs(est - truth) / truth < 0.03);
  });

  it('honours exclude_splits and the schema’s categorical ints', async () => {
    const schemaDir = join(dir, 'schema');
    mkdirSync(schemaDir, { recursive: true });
    writeFileSync(join(schemaDir, 'schema.json'), JSON.stringify({ feature: [{ name: 'hour', type: 'INT', intDomain: { isCategorical: true } }] }));
    const { json, properties } = await run(pools[0], { exclude_splits: ['eval'] }, schemaDir);
    assert.deepEqual(properties.splitNames, ['train']);
    const hour = json.datasets[0].features.find((f) => f.name === 'hour')!;
    assert.equal(hour.type, 'INT');
    assert.deepEqual(hour.stringStats!.topValues[0], { value: String(counts(train[0].values)[0][0]), frequency: counts(train[0].values)[0][1] });
  });

  it('reports a missing split folder as a UserError', async () => {
    const ctx: any = {
      params: { exclude_splits: [], top_k: 20, num_histogram_buckets: 10, num_quantiles_histogram_buckets: 10, distinct_exact_limit: 10, sketch_k: 200 },
      inputs: { examples: { uri: join(dir, 'examples'), properties: { splitNames: ['nope'] } } },
      outputs: { statistics: { uri: dir, properties: {} } },
      pool: pools[0],
      log: { info() {}, warn() {}, error() {} },
      progress() {},
      signal: new AbortController().signal,
    };
    await assert.rejects(execute(ctx), (e: Error) => e instanceof UserError && /split "nope"/.test(e.message));
  });
});
