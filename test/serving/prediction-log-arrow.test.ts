/**
 * The prediction log as an Arrow IPC stream: read back by apache-arrow (what pyarrow's
 * `open_stream` reads too) with typed columns, every record once and in order across rotated
 * files, the last batches of a killed server readable, a restart rotating the old file away, and
 * the real server and CLI writing it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from '../../runtime/src/formats/arrow.ts';
import { logFilesInOrder, PredictionLog } from '../../runtime/src/serving/prediction-log.ts';
import { type PredictionRecord } from '../../runtime/src/serving/prediction-record.ts';
import { ModelServer } from '../../runtime/src/serving/server.ts';
import { startServeCli } from '../helpers/run-cli.ts';
import { writeLogisticBundle } from './fixtures.ts';

function record(i: number): PredictionRecord {
  return {
    time: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    model: 'm',
    version: 1 + (i % 3),
    arm: i % 2 ? 'stable' : 'canary',
    ...(i % 4 === 0 ? { key: `user-${i}` } : {}),
    status: i % 10 === 9 ? 400 : 200,
    latencyMs: i / 8,
    ...(i % 10 === 9 ? { error: `bad row ${i}` } : { instances: [{ x: i, s: 'é' }], predictions: [[i / 7]] }),
  };
}

/** What the Arrow log should hold for a record: the typed columns, JSON text for the nested parts. */
function expected(r: PredictionRecord) {
  return {
    time: Date.parse(r.time),
    model: r.model,
    version: r.version,
    arm: r.arm,
    key: r.key ?? null,
    status: r.status,
    latency_ms: r.latencyMs,
    instances: r.instances ? JSON.stringify(r.instances) : null,
    predictions: r.predictions ? JSON.stringify(r.predictions) : null,
    error: r.error ?? null,
  };
}

function rows(file: string) {
  const table = tableFromIPC(readFileSync(file));
  return table.toArray().map((row) => ({ ...row.toJSON(), time: Number(row.toJSON().time) }));
}


describe('prediction log as an Arrow IPC stream', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'trib-predlog-arrow-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('typed columns; every record once and in order across rotated files, each under the limit', async () => {
    const file = join(dir, 'all', 'predictions.arrow');
    const log = new PredictionLog(file, { maxBytes: 8192, keep: 1000, batchRecords: 7 });
    const written = Array.from({ length: 300 }, (_, i) => record(i));
    for (const r of written) log.write(r);
    await log.close();
    const files = logFilesInOrder(file);
    assert.ok(files.length > 3, `${files.length} files`);
    for (const f of files) assert.ok(statSync(f).size <= 8192, `${f}: ${statSync(f).size} bytes`);
    const schema = tableFromIPC(readFileSync(file)).schema.fields.map((f) => `${f.name}:${f.type}`);
    assert.deepEqual(schema, [
      'time:Timestamp<MILLISECOND, UTC>', 'model:Utf8', 'version:Int32', 'arm:Utf8', 'key:Utf8', 'status:Int32',
      'latency_ms:Float64', 'instances:Utf8', 'predictions:Utf8', 'error:Utf8',
    ]);
    assert.deepEqual(files.flatMap(rows), written.map(expected));
  });

  it('waits for a batch or the flush interval; a killed server’s file reads to its last whole batch', async () => {
    const file = join(dir, 'timed', 'p.arrow');
    const log = new PredictionLog(file, { batchRecords: 100, flushMs: 50 });
    log.write(record(0));
    log.write(record(1));
    assert.deepEqual(rows(file), [], 'buffered: only the schema so far');
    await new Promise((r) => setTimeout(r, 200));
    // No end-of-stream marker yet: what a reader finds after a kill -9 now.
    assert.deepEqual(rows(file), [record(0), record(1)].map(expected));
    log.write(record(2));
    await log.close();
    assert.deepEqual(rows(file), [0, 1, 2].map((i) => expected(record(i))));
  });

  it('a restarted server rotates the earlier file away (a stream cannot be continued)', async () => {
    const file = join(dir, 'restart', 'p.arrow');
    const first = new PredictionLog(file, { keep: 3 });
    first.write(record(1));
    await first.close();
    const second = new PredictionLog(file, { keep: 3 });
    second.write(record(2));
    await second.close();
    assert.deepEqual(logFilesInOrder(file).map(rows), [[expected(record(1))], [expected(record(2))]]);
  });

  it('tributary serve --prediction-log FILE.arrow logs every predict, flushed when it stops', async () => {
    const registry = join(dir, 'registry');
    await writeLogisticBundle(join(registry, 'm', '1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    const file = join(dir, 'served', 'predictions.arrow');
    const { child, port } = await startServeCli(registry, ['--prediction-log', file]);
    const sent = Array.from({ length: 12 }, (_, i) => ({ x1: i, x2: 1 - i / 2 }));
    for (const row of sent) {
      const r = await fetch(`http://127.0.0.1:${port}/v1/models/m:predict`, { method: 'POST', body: JSON.stringify({ instances: [row] }) });
      assert.equal(r.status, 200);
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const logged = rows(file);
    // Each cluster worker forwards its records in its own batches, so the log is ordered per worker,
    // not across workers: compare the set of logged predicts.
    const byX1 = (a: { x1: number }[], b: { x1: number }[]) => a[0].x1 - b[0].x1;
    const instances = logged.map((l) => JSON.parse(l.instances as string) as { x1: number; x2: number }[]);
    assert.deepEqual(instances.sort(byX1), sent.map((row) => [row]));
    assert.ok(logged.every((l) => l.model === 'm' && l.version === 1 && l.status === 200 && (l.latency_ms as number) > 0));
  });

  it('the in-process server writes the same format (ModelServer with a .arrow log)', async () => {
    const registry = join(dir, 'registry2');
    await writeLogisticBundle(join(registry, 'm', '1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    const file = join(dir, 'inproc', 'p.arrow');
    const server = new ModelServer(registry, { port: 0, host: '127.0.0.1', rescanMs: 0, predictionLog: file });
    const { port } = await server.start();
    const r = await fetch(`http://127.0.0.1:${port}/v1/models/m:predict`, { method: 'POST', body: JSON.stringify({ instances: [{ x1: 'oops', x2: 1 }] }) });
    assert.equal(r.status, 400);
    await server.close();
    const [row] = rows(file);
    assert.equal(row.status, 400);
    assert.match(String(row.error), /x1/);
  });
});
