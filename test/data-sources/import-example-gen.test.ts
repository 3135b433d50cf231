import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importExampleGen } from '../../runtime/src/components/import-example-gen/index.ts';
import { readRecord, recordRanges } from '../../runtime/src/formats/tfrecord.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { readSplit, runExampleGen, tempDir } from '../csv-example-gen/helpers.ts';
import { runStatisticsGen } from './pipeline-steps.ts';
import { encodeExample, frame, tfrecordBytes, writeTfRecord, type ExampleDef } from './tfrecord-files.ts';

/** Examples with a scalar int, a scalar float, a string, a variable-length int list and a sometimes-empty string list. */
function examples(n: number, from = 0): ExampleDef[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const e: ExampleDef = {
      id: { int64: [i] },
      fare: { float: [i / 4] },
      tags: { bytes: Array.from({ length: i % 4 }, (_, j) => `t${j}`) },
      ids: { int64: Array.from({ length: 1 + (i % 3) }, (_, j) => i * 10 + j) },
    };
    if (i % 5 !== 0) e.company = { bytes: [['Blue', 'Zöne'][i % 2]] };
    return e;
  });
}

describe('ImportExampleGen', () => {
  let pool: WorkerPool;
  let dir: string;
  before(() => {
    pool = createPool(2);
    dir = tempDir('tfr-test-');
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (params: Record<string, unknown>) =>
    runExampleGen(pool, dir, { compression: 'auto', splits: { train: 2, eval: 1 }, skip_bad_rows: false, ...params }, importExampleGen);

  it('reads tf.Examples: scalars as columns, variable-length features as list columns, missing as null', async () => {
    writeTfRecord(join(dir, 'a.tfrecord'), examples(300));
    const r = await run({ input: 'a.tfrecord' });
    assert.deepEqual(r.props.columns, [
      { name: 'company', type: 'STRING' },
      { name: 'fare', type: 'FLOAT' },
      { name: 'id', type: 'INT' },
      { name: 'ids', type: 'INT', list: true },
      { name: 'tags', type: 'STRING', list: true },
    ]);
    assert.equal(r.props.splits.train.rows + r.props.splits.eval.rows, 300);
    const { rows, fields } = readSplit(r.uri, 'train');
    assert.match(fields.find((f) => f.name === 'ids')!.type, /^List<Float64>$/);
    assert.equal(fields.find((f) => f.name === 'ids')!.meta, 'INT');
    for (const row of rows) {
      const i = row.id as number;
      assert.equal(row.fare, i / 4);
      assert.equal(row.company, i % 5 === 0 ? null : ['Blue', 'Zöne'][i % 2]);
      assert.deepEqual([...(row.ids as any)], Array.from({ length: 1 + (i % 3) }, (_, j) => i * 10 + j));
      assert.deepEqual([...(row.tags as any)], Array.from({ length: i % 4 }, (_, j) => `t${j}`));
    }
  });

  it('reads GZIP files and several files, widening a feature that is a list in any file', async () => {
    // In file 0 "ids" always has one value; in file 1 it varies: file 0 is re-read with a list column.
    const single = examples(100).map((e) => ({ ...e, ids: { int64: [(e.id as { int64: number[] }).int64[0]] } }));
    writeTfRecord(join(dir, 'm-0.tfrecord.gz'), single, { gzip: true });
    writeTfRecord(join(dir, 'm-1.tfrecord.gz'), examples(100, 100), { gzip: true });
    const r = await run({ input: 'm-*.tfrecord.gz', splits: { all: 1 } });
    assert.deepEqual(r.props.columns.find((c) => c.name === 'ids'), { name: 'ids', type: 'INT', list: true });
    assert.match(r.logs.join('\n'), /re-reading 1 of 2 file/);
    const rows = readSplit(r.uri, 'all').rows;
    assert.equal(rows.length, 200);
    assert.deepEqual([...(rows[0].ids as any)], [0]);
  });

  it('checks every record: bad CRC, truncated record and a file that is not TFRecord name the file and byte offset', async () => {
    const good = tfrecordBytes(examples(10));
    const second = frame(encodeExample(examples(1)[0])).length;
    const badCrc = Buffer.from(good);
    badCrc[second + 14] ^= 0xff; // a data byte of the second record
    writeFileSync(join(dir, 'crc.tfrecord'), badCrc);
    await assert.rejects(run({ input: 'crc.tfrecord' }), new RegExp(`crc\\.tfrecord: record at byte ${second}: the record data fails its CRC32C check`));
    writeFileSync(join(dir, 'trunc.tfrecord'), good.subarray(0, good.length - 7));
    await assert.rejects(run({ input: 'trunc.tfrecord' }), /trunc\.tfrecord: record at byte \d+: truncated record/);
    writeFileSync(join(dir, 'magic.tfrecord'), Buffer.concat([Buffer.from('PAR1'), good]));
    await assert.rejects(run({ input: 'magic.tfrecord' }), /magic\.tfrecord: record at byte 0: the length field fails its CRC32C check .*the rest of the file cannot be read/);
    const gz = readFileSync(join(dir, 'm-0.tfrecord.gz'));
    writeFileSync(join(dir, 'bad.gz'), gz.subarray(0, gz.length - 20));
    await assert.rejects(run({ input: 'bad.gz' }), /bad\.gz: GZIP decompression failed/);
  });

  it('skip_bad_rows skips a record with a bad CRC, a non-Example record and a truncated tail, and counts them', async () => {
    const records = examples(20).map((e) => frame(encodeExample(e)));
    records[3][20] ^= 0x55; // bad data CRC
    records[7] = frame(Buffer.from([0xff, 0xff, 0xff])); // valid framing, not a tf.Example
    const bytes = Buffer.concat([...records, records[0].subarray(0, 9)]);
    writeFileSync(join(dir, 'skip.tfrecord'), bytes);
    const r = await run({ input: 'skip.tfrecord', skip_bad_rows: true, splits: { all: 1 } });
    assert.equal(r.props.skippedRows, 3);
    assert.equal(r.props.splits.all.rows, 18);
    assert.match(r.logs.join('\n'), /skipped 3 malformed row\(s\).*record at byte/);
  });

  it('cuts a big uncompressed file at record boundaries into shards that read to the same rows', async () => {
    const bytes = writeTfRecord(join(dir, 'big.tfrecord'), examples(3000));
    const ranges = recordRanges(join(dir, 'big.tfrecord'), 20_000);
    assert.ok(ranges.length > 3, `${ranges.length} ranges`);
    assert.equal(ranges[0].start, 0);
    assert.equal(ranges.at(-1)!.end, bytes.length);
    ranges.slice(1).forEach((r, k) => {
      assert.equal(r.start, ranges[k].end);
      assert.doesNotThrow(() => readRecord(bytes, r.start), 'a range starts at a record header');
    });
    const whole = await run({ input: 'big.tfrecord' });
    const cut = await run({ input: 'big.tfrecord', shard_size_mb: 20_000 / 2 ** 20 });
    assert.match(whole.logs.join('\n'), /1 TFRecord file\(s\) in 1 shard\(s\)/);
    assert.match(cut.logs.join('\n'), new RegExp(`1 TFRecord file\\(s\\) in ${ranges.length} shard\\(s\\)`));
    assert.deepEqual(cut.props.columns, whole.props.columns);
    const plain = (uri: string, split: string) => readSplit(uri, split).rows.map((row) => Object.entries(row).map(([k, v]) => [k, v !== null && typeof v === 'object' ? [...(v as Iterable<unknown>)] : v]));
    for (const split of ['train', 'eval']) assert.deepEqual(plain(cut.uri, split), plain(whole.uri, split));
    // A GZIP file cannot be entered in the middle: one task whatever its size.
    writeTfRecord(join(dir, 'big.tfrecord.gz'), examples(3000), { gzip: true });
    const gz = await run({ input: 'big.tfrecord.gz', shard_size_mb: 20_000 / 2 ** 20 });
    assert.match(gz.logs.join('\n'), /in 1 shard\(s\)/);
  });

  it('a corrupt record in a later shard is reported at its offset in the file, or skipped and counted', async () => {
    const records = examples(3000).map((e) => frame(encodeExample(e)));
    const offsetOf = (k: number) => records.slice(0, k).reduce((n, r) => n + r.length, 0);
    const small = { shard_size_mb: 20_000 / 2 ** 20 };
    records[2500][20] ^= 0x55; // a bad data CRC: the framing scan goes on
    writeFileSync(join(dir, 'late-crc.tfrecord'), Buffer.concat(records));
    await assert.rejects(run({ input: 'late-crc.tfrecord', ...small }), new RegExp(`late-crc\\.tfrecord: record at byte ${offsetOf(2500)}: the record data fails its CRC32C check`));
    const skipped = await run({ input: 'late-crc.tfrecord', ...small, skip_bad_rows: true, splits: { all: 1 } });
    assert.deepEqual([skipped.props.skippedRows, skipped.props.splits.all.rows], [1, 2999]);
    // A bad length CRC stops the scan: the rest is one shard, whose reader reports the same offset.
    const badLength = Buffer.concat(records.slice(0, 2000));
    badLength[offsetOf(1500) + 9] ^= 0x01;
    writeFileSync(join(dir, 'late-length.tfrecord'), badLength);
    await assert.rejects(run({ input: 'late-length.tfrecord', ...small }), new RegExp(`late-length\\.tfrecord: record at byte ${offsetOf(1500)}: the length field fails its CRC32C check`));
    writeFileSync(join(dir, 'late-trunc.tfrecord'), Buffer.concat(records.slice(0, 2000)).subarray(0, offsetOf(2000) - 5));
    await assert.rejects(run({ input: 'late-trunc.tfrecord', ...small }), new RegExp(`late-trunc\\.tfrecord: record at byte ${offsetOf(1999)}: truncated record`));
  });

  it('StatisticsGen reports value counts of list features as TFDV does', async () => {
    writeTfRecord(join(dir, 's.tfrecord'), examples(400));
    const r = await run({ input: 's.tfrecord', splits: { all: 1 } });
    const stats = (await runStatisticsGen(pool, r.uri, ['all'])).json.datasets[0];
    const ids = stats.features.find((f) => f.name === 'ids')!.numStats!;
    const counts = Array.from({ length: 400 }, (_, i) => 1 + (i % 3));
    assert.equal(ids.commonStats.numNonMissing, 400);
    assert.equal(ids.commonStats.minNumValues, 1);
    assert.equal(ids.commonStats.maxNumValues, 3);
    assert.equal(ids.commonStats.totNumValues, counts.reduce((a, b) => a + b, 0));
    assert.equal(ids.commonStats.avgNumValues, ids.commonStats.totNumValues / 400);
    const h = ids.commonStats.numValuesHistogram!;
    assert.equal(h.type, 'QUANTILES');
    assert.equal(h.buckets.reduce((a, b) => a + b.sampleCount, 0), 400);
    assert.equal(h.buckets[0].lowValue, 1);
    assert.equal(h.buckets.at(-1)!.highValue, 3);
    // Mean over all values, not per example.
    const all = Array.from({ length: 400 }, (_, i) => Array.from({ length: 1 + (i % 3) }, (_, j) => i * 10 + j)).flat();
    assert.ok(Math.abs(ids.mean - all.reduce((a, b) => a + b, 0) / all.length) < 1e-9);
    const tags = stats.features.find((f) => f.name === 'tags')!.stringStats!;
    // An empty bytes_list is present with zero values (TFDV's counting).
    assert.equal(tags.commonStats.numNonMissing, 400);
    assert.equal(tags.commonStats.minNumValues, 0);
    assert.equal(tags.commonStats.totNumValues, Array.from({ length: 400 }, (_, i) => i % 4).reduce((a, b) => a + b, 0));
    const company = stats.features.find((f) => f.name === 'company')!.stringStats!;
    assert.equal(company.commonStats.numMissing, 80);
    assert.equal(company.commonStats.numValuesHistogram, undefined);
  });
});
