import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { expectedCell, readSplit, referenceCsv, runExampleGen, tempDir, type Cell } from './helpers.ts';

/** A deterministic CSV with ints, floats, strings, empties, quotes, quoted newlines and mixed LF/CRLF. */
function csvText(rows: number): string {
  const lines = ['id,count,price,name,note'];
  for (let i = 0; i < rows; i++) {
    const count = i % 7 === 0 ? '' : String(((i * 37) % 1000) - 500);
    const price = i % 5 === 0 ? '' : (((i * 13) % 10007) / 100).toFixed(2);
    const name = ['alpha', 'beta', '"gam,ma"', '"d""elta"""', ''][i % 5];
    const note = i % 11 === 0 ? `"line one\nline ${i}"` : i % 13 === 0 ? '"crlf\r\ninside"' : `n${i % 50}`;
    lines.push([i, count, price, name, note].join(','));
  }
  return lines.join(i_crlf()) + '\n';
}
let crlfToggle = 0;
function i_crlf(): string {
  return crlfToggle++ % 2 ? '\r\n' : '\n';
}

/** All rows of all splits keyed by the id column, checking each split keeps input order. */
function rowsById(uri: string, splits: string[], idColumn = 'id'): Map<number, { split: string; row: Record<string, Cell> }> {
  const out = new Map<number, { split: string; row: Record<string, Cell> }>();
  for (const split of splits) {
    let last = -1;
    for (const row of readSplit(uri, split).rows) {
      const id = row[idColumn] as number;
      assert.ok(id > last, `split ${split} out of input order at id ${id}`);
      last = id;
      assert.ok(!out.has(id), `row ${id} written twice`);
      out.set(id, { split, row });
    }
  }
  return out;
}

describe('CsvExampleGen', function () {
  let pool1: WorkerPool;
  let pool2: WorkerPool;
  let dir: string;
  before(() => {
    pool1 = createPool(1);
    pool2 = createPool(2);
    dir = tempDir();
  });
  after(async () => {
    await pool1.close();
    await pool2.close();
  });

  const write = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    return path;
  };

  it('writes Arrow shards whose values and nulls equal the input', async () => {
    const text = csvText(3000);
    write('mixed.csv', text);
    const { uri, props } = await runExampleGen(pool2, dir, { input: 'mixed.csv', shard_size_mb: 0.01 });
    const [header, ...rows] = referenceCsv(text);
    assert.deepEqual(props.columns, [
      { name: 'id', type: 'INT' },
      { name: 'count', type: 'INT' },
      { name: 'price', type: 'FLOAT' },
      { name: 'name', type: 'STRING' },
      { name: 'note', type: 'STRING' },
    ]);
    assert.equal(props.splits.train.rows + props.splits.eval.rows, rows.length);
    assert.ok(props.splits.train.shards.length > 3, 'several shards');
    const got = rowsById(uri, props.splitNames);
    assert.equal(got.size, rows.length);
    const types = props.columns.map((c) => c.type);
    for (const r of rows) {
      const actual = got.get(Number(r[0]))!.row;
      const expected = Object.fromEntries(header.map((h, j) => [h, expectedCell(r[j], types[j])]));
      assert.deepEqual(actual, expected);
    }
    const { fields } = readSplit(uri, 'train');
    assert.deepEqual(fields.map((f) => f.type), ['Int32', 'Int32', 'Float64', 'Dictionary<Int32, Utf8>', 'Dictionary<Int32, Utf8>']);
  });

  it('gives every row the same split for 1 or 2 workers and any shard size, close to the ratio', async () => {
    write('split.csv', csvText(6000));
    const a = await runExampleGen(pool1, dir, { input: 'split.csv', shard_size_mb: 16 });
    const b = await runExampleGen(pool2, dir, { input: 'split.csv', shard_size_mb: 0.003 });
    const c = await runExampleGen(pool2, dir, { input: 'split.csv', shard_size_mb: 0.05 });
    const ra = rowsById(a.uri, ['train', 'eval']);
    for (const other of [b, c]) {
      const rb = rowsById(other.uri, ['train', 'eval']);
      assert.equal(rb.size, ra.size);
      for (const [id, v] of ra) assert.equal(rb.get(id)!.split, v.split, `row ${id}`);
    }
    const share = a.props.splits.train.rows / 6000;
    assert.ok(Math.abs(share - 2 / 3) < 0.03, `train share ${share}`);
    assert.ok(b.props.splits.train.shards.length > 10);
  });

  it('splits on split_key so rows with equal keys stay together', async () => {
    const lines = ['user,value'];
    for (let i = 0; i < 2000; i++) lines.push(`u${i % 40},${i}`);
    write('keyed.csv', lines.join('\n'));
    const { uri, props } = await runExampleGen(pool2, dir, { input: 'keyed.csv', split_key: ['user'], splits: { a: 1, b: 1, c: 1 }, shard_size_mb: 0.002 });
    const splitOfUser = new Map<string, string>();
    for (const split of props.splitNames) {
      for (const row of readSplit(uri, split).rows) {
        const prev = splitOfUser.get(row.user as string);
        assert.ok(prev === undefined || prev === split, `user ${row.user} in two splits`);
        splitOfUser.set(row.user as string, split);
      }
    }
    assert.equal(splitOfUser.size, 40);
  });

  it('widens columns whose later values do not fit the sampled type', async () => {
    const lines = ['a,b,c,d'];
    for (let i = 0; i < 12000; i++) {
      const late = i >= 11000;
      lines.push([i, late && i % 100 === 1 ? 'x' + i : String(i % 9), late && i === 11500 ? '2.5' : '1', late && i === 11999 ? '3000000000' : '-4'].join(','));
    }
    write('widen.csv', lines.join('\n') + '\n');
    const { uri, props } = await runExampleGen(pool2, dir, { input: 'widen.csv', shard_size_mb: 0.02 });
    assert.deepEqual(props.columns.map((c) => c.type), ['INT', 'STRING', 'FLOAT', 'INT']);
    const { fields } = readSplit(uri, 'train');
    assert.equal(fields[3].type, 'Float64');
    assert.equal(fields[3].meta, 'INT');
    const got = rowsById(uri, ['train', 'eval'], 'a');
    assert.equal(got.get(11101)!.row.b, 'x11101');
    assert.equal(got.get(5)!.row.b, '5');
    assert.equal(got.get(11500)!.row.c, 2.5);
    assert.equal(got.get(11999)!.row.d, 3000000000);
  });

  it('reads newline-delimited JSON, unioning keys', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const row: Record<string, unknown> = { id: i, score: i / 4, tag: i % 3 === 0 ? null : `t${i % 4}` };
      if (i > 1200) row.late = i % 2 === 0;
      lines.push(JSON.stringify(row));
    }
    write('rows.jsonl', lines.join('\n') + '\n');
    const { uri, props } = await runExampleGen(pool2, dir, { input: 'rows.jsonl', shard_size_mb: 0.005 });
    assert.deepEqual(props.columns, [
      { name: 'id', type: 'INT' },
      { name: 'score', type: 'FLOAT' },
      { name: 'tag', type: 'STRING' },
      { name: 'late', type: 'INT' },
    ]);
    const got = rowsById(uri, ['train', 'eval']);
    assert.equal(got.size, 1500);
    assert.deepEqual(got.get(3)!.row, { id: 3, score: 0.75, tag: null, late: null });
    assert.deepEqual(got.get(1202)!.row, { id: 1202, score: 300.5, tag: 't2', late: 1 });
  });

  it('reads a glob and a folder of shards as one dataset', async () => {
    const header = 'id,v\n';
    for (let s = 0; s < 3; s++) write(`shards/part-${s}.csv`, header + Array.from({ length: 50 }, (_, i) => `${s * 50 + i},${i}`).join('\n') + '\n');
    write('shards/_SUCCESS', '');
    write('shards/notes.md', 'not data');
    const folder = await runExampleGen(pool2, dir, { input: 'shards' });
    const glob = await runExampleGen(pool2, dir, { input: 'shards/part-*.csv' });
    for (const r of [folder, glob]) assert.equal(rowsById(r.uri, ['train', 'eval']).size, 150);
    await assert.rejects(runExampleGen(pool2, dir, { input: 'shards/*.parquet' }), /matches no files/);
  });

  // Issue #17 item 7: a numeric column that turns to text, and an unnamed column, are said out loud.
  for (const at of [9_000, 11_500]) {
    it(`warns with file, line and value when a numeric column turns to text at row ${at} (${at < 10_000 ? 'in' : 'after'} the sample)`, async () => {
      const lines = ['id,fare,note'];
      for (let i = 1; i <= 12_000; i++) lines.push(`${i},${i === at ? 'n/a' : (i / 7).toFixed(2)},x${i % 3}`);
      const path = write(`turns-${at}.csv`, lines.join('\n') + '\n');
      const { props, logs } = await runExampleGen(pool2, dir, { input: `turns-${at}.csv`, shard_size_mb: 0.05 });
      assert.equal(props.columns.find((c) => c.name === 'fare')?.type, 'STRING');
      const warning = logs.filter((l) => l.includes('column "fare"'));
      assert.deepEqual(warning, [`${path}:${at + 1}: column "fare" holds numbers until "n/a" here, so it is STRING (it would have been FLOAT)`]);
      assert.ok(!logs.some((l) => l.includes('column "note"')), 'a column of text from the start is no news');
    });
  }

  it('warns when a header column has no name', async () => {
    const path = write('unnamed.csv', 'a,,c\n1,2,3\n');
    const { props, logs } = await runExampleGen(pool2, dir, { input: 'unnamed.csv' });
    assert.deepEqual(props.columns.map((c) => c.name), ['a', 'column_2', 'c']);
    assert.ok(logs.includes(`${path}:1: column 2 of the header has no name; it is called "column_2"`), logs.join('\n'));
  });

  it('strips a UTF-8 BOM from the first header name', async () => {
    write('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,v\nx,1\ny,2\n')]));
    const { props } = await runExampleGen(pool2, dir, { input: 'bom.csv' });
    assert.equal(props.columns[0].name, 'name');
  });

  describe('bad input', () => {
    const corpus: { name: string; content: string | Buffer; line: number; message: RegExp; shard?: number }[] = [
      { name: 'ragged.csv', content: 'a,b,c\n1,2,3\n4,5\n6,7,8\n', line: 3, message: /2 fields but the header has 3/ },
      { name: 'too-many.csv', content: 'a,b\n1,2\n3,4,5\n', line: 3, message: /3 fields/ },
      { name: 'unterminated.csv', content: 'a,b\n1,2\n3,"abc\n4,5\n', line: 3, message: /unterminated/ },
      { name: 'stray-quote.csv', content: 'a,b\n1,2\n3,ab"c\n', line: 3, message: /stray quote/ },
      { name: 'garbage.csv', content: 'a,b\n1,"x"y\n', line: 2, message: /after a closing quote/ },
      { name: 'latin1.csv', content: Buffer.concat([Buffer.from('a,b\n1,2\n3,caf'), Buffer.from([0xe9]), Buffer.from('\n')]), line: 3, message: /UTF-8/ },
      { name: 'empty.csv', content: '', line: 1, message: /empty/ },
      { name: 'header-only.csv', content: 'a,b,c\n', line: 2, message: /header but no data rows/ },
      { name: 'utf16.csv', content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]), line: 1, message: /UTF-16/ },
      { name: 'after-quoted-newline.csv', content: 'a,b\n1,"x\ny"\n2,3,4\n', line: 4, message: /3 fields/ },
      { name: 'bad.jsonl', content: '{"a":1}\n{"a":2}\n{"a":\n', line: 3, message: /invalid JSON/ },
      { name: 'nested.jsonl', content: '{"a":1}\n\n{"a":{"b":2}}\n', line: 3, message: /nested/ },
    ];
    // A bad row deep in a file cut into many tiny ranges: line numbers must add up across ranges.
    const deep = ['a,b'];
    for (let i = 0; i < 500; i++) deep.push(i % 9 === 0 ? `"multi\nline ${i}",${i}` : `${i},${i}`);
    deep.push('oops');
    corpus.push({ name: 'deep.csv', content: deep.join('\n') + '\n', line: deep.length + 56, message: /1 fields/, shard: 0.0005 });

    for (const c of corpus) {
      it(`${c.name}: names the file and line ${c.line}`, async () => {
        const path = write(`bad/${c.name}`, c.content);
        await assert.rejects(runExampleGen(pool2, dir, { input: `bad/${c.name}`, shard_size_mb: c.shard ?? 16 }), (e: unknown) => {
          assert.ok(e instanceof Error && e.name === 'UserError', String(e));
          const location = (e as UserError).location;
          assert.match(e.message, c.message);
          assert.ok(e.message.startsWith(`${path}:${c.line}:`), e.message);
          assert.deepEqual([location?.file, location?.line], [path, c.line]);
          return true;
        });
      });
    }

    it('leaves no shards behind after a failure', async () => {
      const lines = ['a,b'];
      for (let i = 0; i < 3000; i++) lines.push(`${i},${i}`);
      lines.push('1,2,3');
      write('late-bad.csv', lines.join('\n'));
      const uri = tempDir('eg-fail-');
      const { csvExampleGen } = await import('../../runtime/src/components/csv-example-gen/index.ts');
      const execute = await csvExampleGen.loadExecutor();
      const ctx: any = {
        params: { input: 'late-bad.csv', format: 'auto', splits: { train: 1 }, skip_bad_rows: false, delimiter: ',', shard_size_mb: 0.005 },
        outputs: { examples: { type: 'Examples', uri, properties: {} } },
        resolvePath: (p: string) => join(dir, p),
        pool: pool2,
        log: { info() {}, warn() {}, error() {} },
        progress() {},
        signal: new AbortController().signal,
      };
      await assert.rejects(execute(ctx), { name: 'UserError' });
      assert.deepEqual(readdirSync(uri), []);
      assert.deepEqual(ctx.outputs.examples.properties, {});
    });

    // Issue #17 item 6: a quote left open used to swallow the rest of the file as "1 malformed row".
    it('skip_bad_rows: a quote left open ends its row at the next complete row, in any range', async () => {
      const lines = ['id,name'];
      for (let i = 1; i <= 10_000; i++) lines.push(i === 5 || i === 5000 ? `${i},"open` : `${i},n${i % 7}`);
      const path = write('open-quotes.csv', lines.join('\n') + '\n');
      const { props, logs, uri } = await runExampleGen(pool2, dir, { input: 'open-quotes.csv', skip_bad_rows: true, shard_size_mb: 0.01 });
      assert.equal(props.skippedRows, 2);
      assert.equal(rowsById(uri, ['train', 'eval']).size, 9_998);
      assert.ok(logs.some((l) => l.includes(`${path}:6: unterminated quoted field`) && l.includes(`${path}:5001: unterminated`)), logs.join('\n'));
      // Without skip_bad_rows the first one fails the run at its line.
      await assert.rejects(runExampleGen(pool2, dir, { input: 'open-quotes.csv', shard_size_mb: 0.01 }), (e: Error) => e.message.startsWith(`${path}:6: unterminated quoted field`));
    });

    it('skip_bad_rows: a quote left open that closes on a later row\'s quote does not make one row of several', async () => {
      write('swallow.csv', 'id,b\n1,"x\n2,3\n7,"\nfoo"\n8,9\n');
      const { props, uri } = await runExampleGen(pool2, dir, { input: 'swallow.csv', skip_bad_rows: true, splits: { train: 1 } });
      assert.equal(props.skippedRows, 1);
      assert.deepEqual(readSplit(uri, 'train').rows, [
        { id: 2, b: '3' },
        { id: 7, b: '\nfoo' },
        { id: 8, b: '9' },
      ]);
    });

    it('a malformed row whose end cannot be told fails with file:line even with skip_bad_rows', async () => {
      const lines = ['a,b', '1,2', '3,"open'];
      for (let i = 0; i < 150; i++) lines.push(`text ${i}`);
      const path = write('runaway.csv', lines.join('\n') + '\n');
      await assert.rejects(runExampleGen(pool2, dir, { input: 'runaway.csv', skip_bad_rows: true }), (e: Error) => {
        assert.ok(e.message.startsWith(`${path}:3: unterminated quoted field`), e.message);
        assert.match(e.message, /over more than 100 lines with no line that is a complete row/);
        return true;
      });
    });

    it('skip_bad_rows skips, counts and reports malformed rows', async () => {
      const lines = ['a,b'];
      let bad = 0;
      for (let i = 0; i < 400; i++) {
        if (i % 50 === 7) {
          lines.push(['1,2,3', '4,"x"y', '5,a"b', '6'][bad % 4]);
          bad++;
        } else lines.push(`${i},${i % 3}`);
      }
      write('some-bad.csv', lines.join('\n') + '\n');
      const { props, logs, uri } = await runExampleGen(pool2, dir, { input: 'some-bad.csv', skip_bad_rows: true, shard_size_mb: 0.001 });
      assert.equal(props.skippedRows, bad);
      assert.equal(props.splits.train.rows + props.splits.eval.rows, 400 - bad);
      assert.equal(rowsById(uri, ['train', 'eval'], 'a').size, 400 - bad);
      assert.ok(logs.some((l) => l.includes(`skipped ${bad} malformed`) && l.includes('some-bad.csv:9:')), logs.join('\n'));
    });
  });
});
