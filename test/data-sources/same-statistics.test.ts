import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvExampleGen } from '../../runtime/src/components/csv-example-gen/index.ts';
import { importExampleGen } from '../../runtime/src/components/import-example-gen/index.ts';
import { parquetExampleGen } from '../../runtime/src/components/parquet-example-gen/index.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { runExampleGen, tempDir } from '../csv-example-gen/helpers.ts';
import { writeParquet } from './parquet-files.ts';
import { runStatisticsGen } from './pipeline-steps.ts';
import { writeTfRecord, type ExampleDef } from './tfrecord-files.ts';

const ROWS = 2000;
const companies = ['Blue Cab', 'Zöne', 'Taxi "Co"', 'A,B'];
// Floats are exact in float32 (TFRecord's float_list), so all three formats hold the same numbers.
const hour = (i: number) => (i % 13 === 0 ? null : (i * 7) % 24);
const fare = (i: number) => (i % 11 === 0 ? null : ((i * 37) % 400) / 8);
const company = (i: number) => (i % 9 === 0 ? null : companies[(i * 5) % companies.length]);
const big = (i: number) => i * 1_000_003;

describe('the same data from CSV, Parquet and TFRecord', () => {
  let pool: WorkerPool;
  let dir: string;
  before(() => {
    pool = createPool(2);
    dir = tempDir('same-stats-');
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives equal statistics, feature by feature', async () => {
    const quote = (s: string) => (/[",]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    const lines = ['hour,fare,company,big'];
    for (let i = 0; i < ROWS; i++) lines.push([hour(i) ?? '', fare(i) ?? '', company(i) === null ? '' : quote(company(i)!), big(i)].join(','));
    writeFileSync(join(dir, 'taxi.csv'), lines.join('\n') + '\n');
    const range = Array.from({ length: ROWS }, (_, i) => i);
    writeParquet(join(dir, 'taxi.parquet'), [
      { name: 'hour', type: 'INT32', data: range.map(hour) },
      { name: 'fare', type: 'DOUBLE', data: range.map(fare) },
      { name: 'company', type: 'STRING', data: range.map(company) },
      { name: 'big', type: 'INT64', data: range.map((i) => BigInt(big(i))) },
    ]);
    writeTfRecord(
      join(dir, 'taxi.tfrecord'),
      range.map((i) => {
        const e: ExampleDef = { big: { int64: [big(i)] } };
        if (hour(i) !== null) e.hour = { int64: [hour(i)!] };
        if (fare(i) !== null) e.fare = { float: [fare(i)!] };
        if (company(i) !== null) e.company = { bytes: [company(i)!] };
        return e;
      }),
    );
    const params = { splits: { all: 1 } };
    const stats = [];
    for (const [component, input] of [
      [csvExampleGen, 'taxi.csv'],
      [parquetExampleGen, 'taxi.parquet'],
      [importExampleGen, 'taxi.tfrecord'],
    ] as const) {
      const examples = await runExampleGen(pool, dir, { ...params, input, compression: 'auto' }, component);
      stats.push((await runStatisticsGen(pool, examples.uri, ['all'])).json.datasets[0]);
    }
    const [csv, parquet, tfrecord] = stats;
    assert.equal(parquet.numExamples, csv.numExamples);
    assert.equal(tfrecord.numExamples, csv.numExamples);
    for (const feature of csv.features) {
      assert.deepEqual(parquet.features.find((f) => f.name === feature.name), feature, `Parquet: ${feature.name}`);
      assert.deepEqual(tfrecord.features.find((f) => f.name === feature.name), feature, `TFRecord: ${feature.name}`);
    }
    assert.equal(parquet.features.length, csv.features.length);
    assert.equal(tfrecord.features.length, csv.features.length);
  });

  it('gives equal statistics for list features from Parquet LIST columns and TFRecord variable-length features', async () => {
    // Row i: ids has i % 4 values (missing every 5th row), tags i % 3 strings (missing every 7th).
    const ids = (i: number) => (i % 5 === 0 ? null : Array.from({ length: i % 4 }, (_, j) => i * 10 + j));
    const tags = (i: number) => (i % 7 === 0 ? null : Array.from({ length: i % 3 }, (_, j) => `t${(i + j) % 5}`));
    const file = join(dir, 'lists.parquet');
    const instance = await (await import('@duckdb/node-api')).DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run(`COPY (SELECT
        CASE WHEN i % 5 = 0 THEN NULL ELSE list_transform(range(i % 4), j -> i * 10 + j) END AS ids,
        CASE WHEN i % 7 = 0 THEN NULL ELSE list_transform(range(i % 3), j -> 't' || ((i + j) % 5)) END AS tags,
        i AS id
      FROM range(${ROWS}) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 500)`);
    c.closeSync();
    instance.closeSync();
    writeTfRecord(
      join(dir, 'lists.tfrecord'),
      Array.from({ length: ROWS }, (_, i) => {
        const e: ExampleDef = { id: { int64: [i] } };
        if (ids(i)) e.ids = { int64: ids(i)! };
        if (tags(i)) e.tags = { bytes: tags(i)! };
        return e;
      }),
    );
    const stats = [];
    for (const [component, input] of [
      [parquetExampleGen, 'lists.parquet'],
      [importExampleGen, 'lists.tfrecord'],
    ] as const) {
      const examples = await runExampleGen(pool, dir, { splits: { all: 1 }, input, compression: 'auto' }, component);
      assert.deepEqual(
        examples.props.columns.filter((col) => col.list),
        [{ name: 'ids', type: 'INT', list: true }, { name: 'tags', type: 'STRING', list: true }],
      );
      stats.push((await runStatisticsGen(pool, examples.uri, ['all'])).json.datasets[0]);
    }
    const [parquet, tfrecord] = stats;
    for (const name of ['id', 'ids', 'tags']) {
      assert.deepEqual(parquet.features.find((f) => f.name === name), tfrecord.features.find((f) => f.name === name), name);
    }
  });
});
