import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hashPathParam } from '../../runtime/src/engine/fingerprint.ts';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { loadPipelineFile } from '../../runtime/src/engine/load-pipeline.ts';
import { expandInput } from '../../runtime/src/util/paths.ts';
import { listSpans, resolveSpans } from '../../runtime/src/util/spans.ts';

function write(root: string, rel: string, text: string): string {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('spans: {SPAN}/{VERSION} input patterns', () => {
  let dir: string;
  const savedMemo = process.env.TRIBUTARY_FILE_HASH_MEMO;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-spans-'));
    process.env.TRIBUTARY_FILE_HASH_MEMO = 'off';
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedMemo === undefined) delete process.env.TRIBUTARY_FILE_HASH_MEMO;
    else process.env.TRIBUTARY_FILE_HASH_MEMO = savedMemo;
  });

  it('picks the latest span by number (10 after 9, not after 1), and ranges', () => {
    for (const s of [1, 2, 9, 10]) write(dir, `data/span-${s}/a.csv`, `x\n${s}\n`);
    write(dir, 'data/span-10/b.csv', 'x\n11\n');
    write(dir, 'data/span-10/.hidden.csv', 'x\n0\n');
    write(dir, 'data/span-x/a.csv', 'x\n0\n'); // not a number: not a span
    const latest = resolveSpans('data/span-{SPAN}/*.csv', dir);
    assert.deepEqual(latest.available, [1, 2, 9, 10]);
    assert.deepEqual(latest.spans.map((s) => s.span), [10]);
    assert.deepEqual(latest.files, [join(dir, 'data/span-10/a.csv'), join(dir, 'data/span-10/b.csv')]);
    assert.deepEqual(resolveSpans('data/span-{SPAN}/*.csv', dir, { start: 2, end: 9 }).spans.map((s) => s.span), [2, 9]);
    assert.deepEqual(resolveSpans('data/span-{SPAN}/*.csv', dir, { start: 3 }).spans.map((s) => s.span), [9, 10]);
    assert.deepEqual(resolveSpans('data/span-{SPAN}/*.csv', dir, { end: 1 }).spans.map((s) => s.span), [1]);
    assert.deepEqual(resolveSpans('data/span-{SPAN}/*.csv', dir, { latest: 3 }).spans.map((s) => s.span), [2, 9, 10]);
    assert.match(resolveSpans('data/span-{SPAN}/*.csv', dir, { start: 3, end: 8 }).problem!, /no span .* range 3\.\.8 \(available: 1, 2, 9, 10\)/);
    assert.match(resolveSpans('data/span-{SPAN}/*.csv', dir, { start: 5, end: 2 }).problem!, /start 5 is after end 2/);
    assert.match(resolveSpans('nothing/span-{SPAN}.csv', dir).problem!, /matches no span/);
  });

  it('takes the latest version within each span; {VERSION} without {SPAN} is refused', () => {
    write(dir, 'd/3/v1/a.csv', 'x\n1\n');
    write(dir, 'd/3/v2/a.csv', 'x\n2\n');
    write(dir, 'd/4/v1/a.csv', 'x\n3\n');
    write(dir, 'd/4/v7/a.csv', 'x\n4\n');
    write(dir, 'd/4/v7/b.csv', 'x\n5\n');
    assert.deepEqual(
      listSpans('d/{SPAN}/v{VERSION}/*.csv', dir).map((g) => [g.span, g.version, g.files.length]),
      [[3, 1, 1], [3, 2, 1], [4, 1, 1], [4, 7, 2]],
    );
    const latest = resolveSpans('d/{SPAN}/v{VERSION}/*.csv', dir);
    assert.deepEqual(latest.spans.map((s) => [s.span, s.version]), [[4, 7]]);
    const both = resolveSpans('d/{SPAN}/v{VERSION}/*.csv', dir, { start: 3 });
    assert.deepEqual(both.spans.map((s) => [s.span, s.version]), [[3, 2], [4, 7]]);
    assert.deepEqual(both.files, [join(dir, 'd/3/v2/a.csv'), join(dir, 'd/4/v7/a.csv'), join(dir, 'd/4/v7/b.csv')]);
    assert.match(resolveSpans('d/3/v{VERSION}/*.csv', dir).problem!, /no \{SPAN\}/);
  });

  it('a repeated {SPAN} must be the same number', () => {
    write(dir, 'p/7/part-7.csv', 'x\n1\n');
    write(dir, 'p/7/part-8.csv', 'x\n1\n');
    assert.deepEqual(resolveSpans('p/{SPAN}/part-{SPAN}.csv', dir).files, [join(dir, 'p/7/part-7.csv')]);
  });

  it('the cache key hashes exactly the selected span: a new span changes it, an old span does not', async () => {
    write(dir, 'data/span-1/a.csv', 'x\n1\n');
    const pattern = 'data/span-{SPAN}/*.csv';
    assert.deepEqual(expandInput(pattern, dir), [join(dir, 'data/span-1/a.csv')]);
    const first = await hashPathParam(pattern, dir);
    write(dir, 'data/span-2/a.csv', 'x\n2\n');
    const second = await hashPathParam(pattern, dir);
    assert.notEqual(second, first);
    write(dir, 'data/span-1/late.csv', 'x\n3\n'); // late data for an old span: not read, not hashed
    assert.equal(await hashPathParam(pattern, dir), second);
    // With a range, the range's files are hashed.
    assert.equal(await hashPathParam(pattern, dir, { spanRange: { end: 1 } }), await hashPathParam('data/span-1/*.csv', dir));
  });

  describe('CsvExampleGen in a pipeline', function () {
    this.timeout(60_000);
    let pool: WorkerPool;
    before(() => {
      pool = createPool(1);
    });
    after(async () => {
      await pool.close();
    });

    const pipeline = (params: string) =>
      `name: spans\nroot: .tributary\nnodes:\n  gen:\n    component: CsvExampleGen\n    params:\n${params}`;

    it('ingests the latest span, records it, reruns from cache, misses the cache when a new span appears', async () => {
      write(dir, 'data/span-1/a.csv', 'x,y\n1,a\n2,b\n');
      write(dir, 'data/span-2/a.csv', 'x,y\n3,c\n4,d\n5,e\n');
      const file = write(dir, 'p.pipeline.yaml', pipeline('      input: data/span-{SPAN}/*.csv\n'));
      const run = async () => (await runPipeline(await loadPlanOrThrow(file), { pool })).nodes[0];
      const first = await run();
      assert.equal(first.state, 'COMPLETE', first.error);
      const props = first.outputs!.examples.properties as { span: number; splits: Record<string, { rows: number }> };
      assert.equal(props.span, 2);
      assert.equal(Object.values(props.splits).reduce((a, s) => a + s.rows, 0), 3, 'only span 2 rows');
      assert.equal((await run()).state, 'CACHED');

      write(dir, 'data/span-3/a.csv', 'x,y\n6,f\n');
      const third = await run();
      assert.equal(third.state, 'COMPLETE');
      assert.equal(third.outputs!.examples.properties.span, 3);

      // A static range reads spans 1..2; the Examples record the latest span read and all spans.
      writeFileSync(file, pipeline('      input: data/span-{SPAN}/*.csv\n      span_range: { start: 1, end: 2 }\n'));
      const ranged = await run();
      assert.equal(ranged.state, 'COMPLETE', ranged.error);
      const rp = ranged.outputs!.examples.properties as { span: number; spans: { span: number }[]; splits: Record<string, { rows: number }> };
      assert.equal(rp.span, 2);
      assert.deepEqual(rp.spans.map((s) => s.span), [1, 2]);
      assert.equal(Object.values(rp.splits).reduce((a, s) => a + s.rows, 0), 5);
    });

    it('validation accepts the placeholders; a range with no span fails with a clear message', async () => {
      write(dir, 'data/span-1/a.csv', 'x\n1\n');
      const file = write(dir, 'p.pipeline.yaml', pipeline('      input: data/span-{SPAN}/v{VERSION}/*.csv\n'));
      const { diagnostics } = await loadPipelineFile(file);
      assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
      writeFileSync(file, pipeline('      input: data/span-{SPAN}/*.csv\n      span_range: { start: 4 }\n'));
      const node = (await runPipeline(await loadPlanOrThrow(file), { pool })).nodes[0];
      assert.equal(node.state, 'FAILED');
      assert.match(node.error!, /no span of "data\/span-\{SPAN\}\/\*\.csv" lies in the range 4\.\.latest \(available: 1\)/);
    });
  });
});
