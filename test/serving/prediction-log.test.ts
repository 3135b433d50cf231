/**
 * Prediction log rotation: with a small size limit every record is in exactly one file, whole and
 * in order; files stay under the limit and rotate only when the next record would not fit; only
 * `keep` rotated files stay; the server and the CLI pass the limits through.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { logFilesInOrder, PredictionLog, rotatedFile } from '../../runtime/src/serving/prediction-log.ts';
import { type PredictionRecord } from '../../runtime/src/serving/prediction-record.ts';
import { ModelServer } from '../../runtime/src/serving/server.ts';
import { writeLogisticBundle } from './fixtures.ts';

const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', TSX, join(process.cwd(), 'runtime/src/cli/main.ts'), ...args], { encoding: 'utf8', timeout: 60_000 });

/** Record i, with a size that varies (0..40 instances) so rotation points are irregular. */
function record(i: number): PredictionRecord {
  const n = (i * 7919) % 41;
  return {
    time: new Date(1_700_000_000_000 + i).toISOString(),
    model: 'm',
    version: 1 + (i % 3),
    arm: i % 2 ? 'stable' : 'canary',
    status: 200,
    latencyMs: i / 10,
    instances: Array.from({ length: n }, (_, k) => ({ x: k, s: 'é'.repeat(k % 5) })),
    predictions: Array.from({ length: n }, (_, k) => [k / 7]),
  };
}


/** Lines of a file; each must end in a newline (no torn record) and parse. */
function lines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${file} ends inside a record`);
  return text.split('\n').slice(0, -1);
}

describe('prediction log rotation', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'trib-predlog-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every record exactly once, in order, whole; each file under the limit and rotated only when the next record does not fit', async () => {
    const file = join(dir, 'all', 'predictions.jsonl');
    const maxBytes = 4096;
    const log = new PredictionLog(file, { maxBytes, keep: 1000 });
    const written = Array.from({ length: 600 }, (_, i) => record(i));
    for (const r of written) log.write(r);
    await log.close();

    const files = logFilesInOrder(file);
    const totalBytes = written.reduce((a, r) => a + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
    assert.ok(files.length >= Math.ceil(totalBytes / maxBytes), `${files.length} files for ${totalBytes} bytes`);
    const perFile = files.map(lines);
    assert.deepEqual(perFile.flat().map((l) => JSON.parse(l)), written);
    files.forEach((f, i) => {
      const size = statSync(f).size;
      assert.ok(size > 0 && size <= maxBytes, `${f}: ${size} bytes`);
      if (i + 1 < files.length) {
        const next = Buffer.byteLength(perFile[i + 1][0]) + 1;
        assert.ok(size + next > maxBytes, `${f} rotated with room left for the next record (${size} + ${next} ≤ ${maxBytes})`);
      }
    });
  });

  it('keeps only `keep` rotated files: the newest records, contiguous, up to the last', async () => {
    const file = join(dir, 'keep', 'p.jsonl');
    const log = new PredictionLog(file, { maxBytes: 2048, keep: 3 });
    const written = Array.from({ length: 400 }, (_, i) => record(i));
    for (const r of written) log.write(r);
    await log.close();
    assert.deepEqual(logFilesInOrder(file), [rotatedFile(file, 3), rotatedFile(file, 2), rotatedFile(file, 1), file]);
    assert.equal(existsSync(rotatedFile(file, 4)), false);
    const kept = logFilesInOrder(file).flatMap(lines).map((l) => JSON.parse(l));
    assert.deepEqual(kept, written.slice(written.length - kept.length));
  });

  it('a record larger than the limit gets a file of its own; a reopened log appends and counts what is there', async () => {
    const file = join(dir, 'big', 'p.jsonl');
    const small = record(1);
    const big = { ...record(2), instances: Array.from({ length: 500 }, (_, k) => ({ x: k })) };
    const maxBytes = (Buffer.byteLength(JSON.stringify(small)) + 1) * 3; // three lines of `small`
    assert.ok(Buffer.byteLength(JSON.stringify(big)) > maxBytes);
    const first = new PredictionLog(file, { maxBytes, keep: 10 });
    first.write(small);
    first.write(big);
    first.write(small);
    await first.close();
    const second = new PredictionLog(file, { maxBytes, keep: 10 });
    second.write(small); // fits beside the one already in FILE
    second.write(small);
    second.write(small); // does not: rotates
    await second.close();
    assert.deepEqual(
      logFilesInOrder(file).map((f) => lines(f).map((l) => JSON.parse(l))),
      [[small], [big], [small, small, small], [small]],
    );
  });

  it('rejects a limit of 0 and keep below 1 with a clear error', () => {
    assert.throws(() => new PredictionLog(join(dir, 'x.jsonl'), { maxBytes: 0 }), { name: 'UserError', message: /size limit must be above 0/ });
    assert.throws(() => new PredictionLog(join(dir, 'x.jsonl'), { keep: 0 }), { name: 'UserError', message: /keep must be a whole number/ });
  });

  it('the server logs every predict across rotated files', async () => {
    const registry = join(dir, 'registry');
    await writeLogisticBundle(join(registry, 'm', '1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    const file = join(dir, 'served', 'predictions.jsonl');
    const server = new ModelServer(registry, { port: 0, host: '127.0.0.1', rescanMs: 0, predictionLog: file, predictionLogRotation: { maxBytes: 1500, keep: 100 } });
    const { port } = await server.start();
    const sent = Array.from({ length: 60 }, (_, i) => ({ x1: i, x2: 1 - i / 2 }));
    for (const row of sent) {
      const r = await fetch(`http://127.0.0.1:${port}/v1/models/m:predict`, { method: 'POST', body: JSON.stringify({ instances: [row] }) });
      assert.equal(r.status, 200);
    }
    await server.close();
    const files = logFilesInOrder(file);
    assert.ok(files.length > 1, 'rotated');
    const logged = files.flatMap(lines).map((l) => JSON.parse(l) as PredictionRecord);
    assert.deepEqual(logged.map((l) => l.instances), sent.map((row) => [row]));
    for (const f of files) assert.ok(statSync(f).size <= 1500);
  });

  it('CLI: serve --help documents the options; bad values are refused', () => {
    const help = cli(['serve', '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--prediction-log-max-mb <n>.*\(default: 100\)/s);
    assert.match(help.stdout, /--prediction-log-keep <n>.*\(default: 5\)/s);
    const bad = cli(['serve', dir, '--prediction-log-max-mb', '0']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--prediction-log-max-mb needs a number above 0, not "0"/);
  });
});
