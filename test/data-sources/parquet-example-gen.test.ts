import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetExampleGen } from '../../runtime/src/components/parquet-example-gen/index.ts';
import { fanOut } from '../../runtime/src/components/parquet-example-gen/fan-out.ts';
import { MIN_SHARD_ROWS, planShards } from '../../runtime/src/components/parquet-example-gen/executor.ts';
import { isFlatPlain, loadPageLib, readFlatColumn } from '../../runtime/src/components/parquet-example-gen/flat-column.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { readSplit, runExampleGen, tempDir } from '../csv-example-gen/helpers.ts';
import { rewriteWithDuckdb, writeParquet, type ParquetColumnDef } from './parquet-files.ts';

const ROWS = 5000;
const pay = ['Cash', 'Credit Card', 'Mobile', 'Zöne'];
function columns(rows = ROWS): ParquetColumnDef[] {
  return [
    { name: 'hour', type: 'INT32', data: Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? null : i % 24)) },
    { name: 'seconds', type: 'INT64', data: Array.from({ length: rows }, (_, i) => BigInt(i * 7)) },
    { name: 'big', type: 'INT64', data: Array.from({ length: rows }, (_, i) => BigInt(i) * 3_000_000_000n) },
    { name: 'fare', type: 'DOUBLE', data: Array.from({ length: rows }, (_, i) => (i % 13 === 0 ? null : i / 8)) },
    { name: 'payment', type: 'STRING', data: Array.from({ length: rows }, (_, i) => (i % 17 === 0 ? null : i % 19 === 0 ? '' : pay[i % pay.length])) },
    { name: 'tips', type: 'BOOLEAN', data: Array.from({ length: rows }, (_, i) => i % 3 === 0) },
  ];
}

describe('ParquetExampleGen', () => {
  let pool: WorkerPool;
  let dir: string;
  before(() => {
    pool = createPool(2);
    dir = tempDir('pq-test-');
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (params: Record<string, unknown>) => runExampleGen(pool, dir, { shard_size_mb: 16, splits: { train: 2, eval: 1 }, ...params }, parquetExampleGen);

  function allRows(uri: string, splits: string[]) {
    return splits.flatMap((s) => readSplit(uri, s).rows);
  }

  it('maps types, reads nulls and empty strings as missing, and splits deterministically', async () => {
    writeParquet(join(dir, 'a.parquet'), columns());
    const r = await run({ input: 'a.parquet' });
    assert.deepEqual(r.props.columns, [
      { name: 'hour', type: 'INT' },
      { name: 'seconds', type: 'INT' },
      { name: 'big', type: 'INT' },
      { name: 'fare', type: 'FLOAT' },
      { name: 'payment', type: 'STRING' },
      { name: 'tips', type: 'INT' },
    ]);
    assert.equal(r.props.splits.train.rows + r.props.splits.eval.rows, ROWS);
    assert.ok(Math.abs(r.props.splits.train.rows / ROWS - 2 / 3) < 0.03);
    const fields = readSplit(r.uri, 'train').fields;
    assert.equal(fields.find((f) => f.name === 'seconds')!.type, 'Int32', 'INT64 whose statistics fit int32 is stored as Int32');
    assert.equal(fields.find((f) => f.name === 'big')!.meta, 'INT');
    const rows = allRows(r.uri, ['train', 'eval']).sort((a, b) => (a.seconds as number) - (b.seconds as number));
    assert.equal(rows.length, ROWS);
    rows.forEach((row, i) => {
      assert.equal(row.hour, i % 11 === 0 ? null : i % 24);
      assert.equal(row.big, i * 3_000_000_000);
      assert.equal(row.fare, i % 13 === 0 ? null : i / 8);
      assert.equal(row.payment, i % 17 === 0 || i % 19 === 0 ? null : pay[i % pay.length]);
      assert.equal(row.tips, i % 3 === 0 ? 1 : 0);
    });
    const again = await run({ input: 'a.parquet' });
    assert.deepEqual(again.props.splits.train.rows, r.props.splits.train.rows);
    assert.deepEqual(readSplit(again.uri, 'eval').rows, readSplit(r.uri, 'eval').rows);
  });

  it('reads snappy, gzip, zstd and uncompressed files to the same rows, row group by row group', async () => {
    writeParquet(join(dir, 'plain.parquet'), columns(), { codec: 'UNCOMPRESSED', rowGroupSize: 1000 });
    await rewriteWithDuckdb(join(dir, 'plain.parquet'), join(dir, 'gzip.parquet'), 'gzip', 700);
    await rewriteWithDuckdb(join(dir, 'plain.parquet'), join(dir, 'zstd.parquet'), 'zstd', 2048);
    await rewriteWithDuckdb(join(dir, 'plain.parquet'), join(dir, 'snappy.parquet'), 'snappy', 5000);
    const base = await run({ input: 'plain.parquet', splits: { all: 1 } });
    const sorted = (uri: string) => allRows(uri, ['all']).sort((a, b) => (a.seconds as number) - (b.seconds as number));
    for (const f of ['gzip', 'zstd', 'snappy']) {
      const r = await run({ input: `${f}.parquet`, splits: { all: 1 }, shard_size_mb: 0.001 });
      assert.deepEqual(sorted(r.uri), sorted(base.uri), f);
      assert.ok(r.props.splits.all.shards.length > 1 || f === 'snappy', `${f}: one shard per row group at a tiny shard size`);
    }
    // The split of a row depends on its values only, not on the codec or row groups.
    const a = await run({ input: 'plain.parquet' });
    const b = await run({ input: 'zstd.parquet', shard_size_mb: 0.001 });
    assert.equal(a.props.splits.eval.rows, b.props.splits.eval.rows);
  });

  it('the flat-column fast path decodes exactly what hyparquet\'s generic reader does, for any row range', async () => {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetScan } = await import('hyparquet');
    const { compressors } = await import('hyparquet-compressors');
    const lib = await loadPageLib();
    const parsers = { stringFromBytes: (b: Uint8Array) => b };
    // fp-plain from hyparquet-writer (data pages v2), the others from DuckDB (data pages v1,
    // dictionary pages, several data pages per chunk; fp-v2: DuckDB's V2 encodings, delta and byte
    // stream split). `trip` has too many values for a dictionary: PLAIN or DELTA_LENGTH_BYTE_ARRAY.
    const trips = { name: 'trip', type: 'STRING', data: Array.from({ length: 20_000 }, (_, i) => (i % 9 === 0 ? null : `t${(i * 7919) % 100_000}`)) } as const;
    writeParquet(join(dir, 'fp-plain.parquet'), [...columns(20_000), trips], { codec: 'UNCOMPRESSED', rowGroupSize: 7000 });
    await rewriteWithDuckdb(join(dir, 'fp-plain.parquet'), join(dir, 'fp-zstd.parquet'), 'zstd', 9000);
    await rewriteWithDuckdb(join(dir, 'fp-plain.parquet'), join(dir, 'fp-gzip.parquet'), 'gzip', 20_000);
    await rewriteWithDuckdb(join(dir, 'fp-plain.parquet'), join(dir, 'fp-v2.parquet'), 'snappy', 9000, 'V2');
    for (const name of ['fp-plain', 'fp-zstd', 'fp-gzip', 'fp-v2']) {
      const buffer = await asyncBufferFromFile(join(dir, `${name}.parquet`));
      const meta = await parquetMetadataAsync(buffer, { parsers });
      const scan = await parquetScan({ file: buffer, metadata: meta, compressors, parsers });
      let groupStart = 0;
      for (const [g, group] of meta.row_groups.entries()) {
        const rows = Number(group.num_rows);
        for (const [from, to] of [[0, rows], [1, Math.min(rows, 4000)], [rows - 1500, rows]]) {
          for (const e of meta.schema.slice(1).filter(isFlatPlain)) {
            const chunk = group.columns.find((c) => c.meta_data!.path_in_schema[0] === e.name)!.meta_data!;
            const offset = Number(chunk.dictionary_page_offset || chunk.data_page_offset);
            const fast = readFlatColumn(lib, await buffer.slice(offset, offset + Number(chunk.total_compressed_size)), meta, g, e.name, from, to, compressors);
            const generic = [...(await scan.readColumn({ column: e.name, rowStart: groupStart + from, rowEnd: groupStart + to }))];
            const got = 'ids' in fast ? Array.from(fast.ids, (id) => (id < 0 ? null : fast.values[id])) : Array.from(fast.x, (x, i) => (fast.present[i] ? x : null));
            assert.deepEqual(got, generic.map((v) => (typeof v === 'bigint' ? Number(v) : v)), `${name} group ${g} rows ${from}-${to} column ${e.name}`);
          }
        }
        groupStart += rows;
      }
    }
    assert.ok(isFlatPlain({ name: 'x', type: 'INT64', repetition_type: 'OPTIONAL' }));
    assert.ok(!isFlatPlain({ name: 'x', type: 'INT32', converted_type: 'UINT_32' }) && !isFlatPlain({ name: 'x', type: 'BOOLEAN' }));
  });

  it('an INT64 beyond ±2^53 names file, row and column, whether plain or dictionary encoded', async () => {
    const big = 2n ** 60n;
    writeParquet(join(dir, 'unsafe.parquet'), [{ name: 'n', type: 'INT64', data: [1n, 2n, big, 4n] }]);
    await assert.rejects(run({ input: 'unsafe.parquet', splits: { all: 1 } }), new RegExp(`unsafe\\.parquet: row 3, column "n": ${big} is beyond ±2\\^53`));
    writeParquet(join(dir, 'unsafe-dict.parquet'), [{ name: 'n', type: 'INT64', data: Array.from({ length: 600 }, (_, i) => (i === 450 ? big : BigInt(i % 3))) }]);
    await rewriteWithDuckdb(join(dir, 'unsafe-dict.parquet'), join(dir, 'unsafe-dict-duck.parquet'), 'snappy');
    await assert.rejects(run({ input: 'unsafe-dict-duck.parquet', splits: { all: 1 } }), new RegExp(`row 451, column "n": ${big} is beyond ±2\\^53`));
  });

  it('plans shards by position: small row groups run together, a big one is cut into row ranges', () => {
    const group = (rows: number, mb: number) => ({ num_rows: BigInt(rows), total_compressed_size: BigInt(mb * 2 ** 20) });
    const file = (path: string, groups: ReturnType<typeof group>[]) => ({ path, meta: { row_groups: groups }, columns: [] }) as any;
    const shards = planShards([file('a', [group(1000, 1), group(1000, 1), group(1000, 3), group(100_000, 10), group(20_000, 10)]), file('b', [group(10, 1)])], 4 * 2 ** 20);
    assert.deepEqual(shards.map((s) => [s.file, s.rowStart, s.rowEnd]), [
      ['a', 0, 2000], // 1 + 1 MB; + 3 MB would pass 4 MB
      ['a', 2000, 3000],
      ['a', 3000, 36_333], // 10 MB in 3 ranges
      ['a', 36_333, 69_667],
      ['a', 69_667, 103_000],
      ['a', 103_000, 123_000], // too few rows to cut (≥ MIN_SHARD_ROWS each)
      ['b', 0, 10],
    ]);
    assert.equal(MIN_SHARD_ROWS, 16_384);
  });

  it('reads a big row group as several row-range shards to the same rows', async () => {
    const rows = 2 * MIN_SHARD_ROWS + 100;
    writeParquet(join(dir, 'one-group.parquet'), columns(rows), { rowGroupSize: rows });
    const whole = await run({ input: 'one-group.parquet' });
    const cut = await run({ input: 'one-group.parquet', shard_size_mb: 0.001 });
    assert.match(whole.logs.join('\n'), /in 1 shard\(s\)/);
    assert.match(cut.logs.join('\n'), /in 2 shard\(s\)/);
    assert.deepEqual(cut.props.splits.train.rows + cut.props.splits.eval.rows, rows);
    assert.deepEqual(allRows(cut.uri, ['train', 'eval']), allRows(whole.uri, ['train', 'eval']));
  });

  it('reads a folder and a glob of shards; split_key keeps rows together', async () => {
    mkdirSync(join(dir, 'parts'));
    const all = columns();
    for (let k = 0; k < 3; k++) writeParquet(join(dir, 'parts', `p${k}.parquet`), all.map((c) => ({ ...c, data: c.data.slice(k * 1000, (k + 1) * 1000) })));
    const folder = await run({ input: 'parts', split_key: ['hour'] });
    const glob = await run({ input: 'parts/*.parquet', split_key: ['hour'] });
    assert.equal(folder.props.splits.train.rows + folder.props.splits.eval.rows, 3000);
    assert.deepEqual(folder.props.splits, glob.props.splits);
    const trainHours = new Set(readSplit(folder.uri, 'train').rows.map((r) => r.hour));
    for (const row of readSplit(folder.uri, 'eval').rows) assert.ok(!trainHours.has(row.hour), `hour ${row.hour} in both splits`);
  });

  it('reads LIST columns as list columns: null is a missing list, [] a present one with no values', async () => {
    const file = join(dir, 'lists-ok.parquet');
    const instance = await (await import('@duckdb/node-api')).DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run(`COPY (SELECT i AS id, CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN [] ELSE [i, i + 1] END AS xs,
        [i / 2, 0.5] AS fs, ['a' || i] AS ss FROM range(30) t(i)) TO '${file}' (FORMAT parquet)`);
    c.closeSync();
    const r = await run({ input: 'lists-ok.parquet', splits: { all: 1 } });
    assert.deepEqual(r.props.columns, [
      { name: 'id', type: 'INT' },
      { name: 'xs', type: 'INT', list: true },
      { name: 'fs', type: 'FLOAT', list: true },
      { name: 'ss', type: 'STRING', list: true },
    ]);
    const { rows, fields } = readSplit(r.uri, 'all');
    assert.equal(fields.find((f) => f.name === 'xs')!.meta, 'INT');
    assert.equal(rows.length, 30);
    for (const row of rows) {
      const i = row.id as number;
      assert.deepEqual(row.xs === null ? null : [...(row.xs as any)], i % 3 === 0 ? null : i % 3 === 1 ? [] : [i, i + 1]);
      assert.deepEqual([...(row.fs as any)], [i / 2, 0.5]);
      assert.deepEqual([...(row.ss as any)], [`a${i}`]);
    }
  });

  it('gives clear errors: not Parquet, structs, lists of structs, null list values, time columns, unknown split_key', async () => {
    writeFileSync(join(dir, 'bad.parquet'), 'not,parquet\n1,2\n');
    await assert.rejects(run({ input: 'bad.parquet' }), /bad\.parquet: not a readable Parquet file/);
    writeParquet(join(dir, 'time.parquet'), [{ name: 'at', type: 'TIMESTAMP', data: [new Date(0) as any] }]);
    await assert.rejects(run({ input: 'time.parquet' }), /column "at" has Parquet type INT64 \(TIMESTAMP_MILLIS\): time types/);
    const instance = await (await import('@duckdb/node-api')).DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    const write = (name: string, select: string) => c.run(`COPY (${select}) TO '${join(dir, name)}' (FORMAT parquet)`);
    await write('struct.parquet', "SELECT {'a': 1, 'b': 'x'} AS st, 1 AS y");
    await write('list-of-structs.parquet', "SELECT 1 AS y, [{'a': 1}] AS ls");
    await write('nested-list.parquet', 'SELECT [[1, 2], [3]] AS ll');
    await write('null-value.parquet', 'SELECT i AS y, CASE WHEN i = 4 THEN [1, NULL] ELSE [1] END AS xs FROM range(6) t(i)');
    c.closeSync();
    await assert.rejects(run({ input: 'struct.parquet' }), /struct\.parquet: column "st" has Parquet type group: structs and maps are not read/);
    await assert.rejects(run({ input: 'list-of-structs.parquet' }), /list-of-structs\.parquet: column "ls" has Parquet type group: a list of structs, maps or lists/);
    await assert.rejects(run({ input: 'nested-list.parquet' }), /nested-list\.parquet: column "ll" has Parquet type group \(LIST\): a list of structs, maps or lists/);
    await assert.rejects(run({ input: 'null-value.parquet', splits: { all: 1 } }), /null-value\.parquet: row 5, column "xs": the list holds a null value/);
    writeParquet(join(dir, 'k.parquet'), columns(10));
    await assert.rejects(run({ input: 'k.parquet', split_key: ['nope'] }), /split_key column "nope"/);
  });

  it('a corrupt page is an error naming file, row group and column', async () => {
    // An uncompressed dictionary-encoded column; its data page's index bit width byte set to 40.
    writeParquet(join(dir, 'corrupt.parquet'), [{ name: 'n', type: 'INT32', data: Array.from({ length: 400 }, (_, i) => i % 5) }], { codec: 'UNCOMPRESSED' });
    const { parquetMetadataAsync } = await import('hyparquet');
    const { parquetHeader } = await import('hyparquet/src/column.js');
    const bytes = readFileSync(join(dir, 'corrupt.parquet'));
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const chunk = (await parquetMetadataAsync(file)).row_groups[0].columns[0].meta_data!;
    const reader = { view: new DataView(file, Number(chunk.data_page_offset)), offset: 0 };
    const header = parquetHeader(reader);
    assert.equal(header.data_page_header_v2?.encoding, 'RLE_DICTIONARY');
    const levels = header.data_page_header_v2!.definition_levels_byte_length + header.data_page_header_v2!.repetition_levels_byte_length;
    bytes[Number(chunk.data_page_offset) + reader.offset + levels] = 40;
    writeFileSync(join(dir, 'corrupt.parquet'), bytes);
    await assert.rejects(run({ input: 'corrupt.parquet', splits: { all: 1 } }), /corrupt\.parquet: row group 1, column "n": a corrupt page: bit width 40 is out of range/);
  });

  it('runs as fan-out steps (plan, map, merge) to the same Examples', async () => {
    writeParquet(join(dir, 'f.parquet'), columns(), { rowGroupSize: 1000 });
    const single = await run({ input: 'f.parquet', shard_size_mb: 0.001 });
    const uri = tempDir('pq-fan-');
    const scratch = tempDir('pq-scratch-');
    const ctx: any = {
      nodeId: 'gen',
      params: { splits: { train: 2, eval: 1 }, shard_size_mb: 0.001, input: 'f.parquet' },
      inputs: {},
      outputs: { examples: { type: 'Examples', uri, properties: {} } },
      pipelineDir: dir,
      resolvePath: (p: string) => join(dir, p),
      log: { info() {}, warn() {}, error() {} },
      progress() {},
      signal: new AbortController().signal,
      scratch,
    };
    const items = await fanOut.plan(ctx);
    assert.ok(items.length > 1);
    const partials = [];
    for (let i = 0; i < items.length; i++) partials.push(await fanOut.map(ctx, items[i], i));
    await fanOut.merge(ctx, partials);
    assert.deepEqual(ctx.outputs.examples.properties.splits, single.props.splits);
    assert.deepEqual(readSplit(uri, 'train').rows, readSplit(single.uri, 'train').rows);
  });
});
