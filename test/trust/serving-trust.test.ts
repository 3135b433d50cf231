import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServer, parsePredictRequest } from '../../runtime/src/serving/server.ts';
import type { BundleInfo } from '../../runtime/src/ml/bundle.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import { writeLogisticBundle } from '../serving/fixtures.ts';

/** Serving ends politely, types like TF Serving, and the CLI survives a closed pipe. */
describe('serving and CLI manners', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-manners-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a number sent for a string feature is a 400, as in TF Serving', () => {
    const info = { label: 'tips_xf', rawFeatures: [{ name: 'company', type: 'STRING' }, { name: 'fare', type: 'FLOAT' }] } as unknown as BundleInfo;
    assert.equal(parsePredictRequest('{"instances":[{"company":"7","fare":1}]}', info, 10).rows.length, 1);
    assert.throws(() => parsePredictRequest('{"instances":[{"company":7,"fare":1}]}', info, 10), (e: Error & { status?: number }) => e.status === 400 && /instances\[0\]\.company must be a string, got 7/.test(e.message));
  });

  it('closing with a drain lets a request in flight finish instead of resetting it', async () => {
    await writeLogisticBundle(join(dir, 'registry', 'm', '1'), { features: ['x1'], weights: [1], bias: 0 });
    const server = new ModelServer(join(dir, 'registry'), { port: 0 });
    const { port } = await server.start();
    const body = JSON.stringify({ instances: [{ x1: 0.5 }] });
    const response = new Promise<{ status?: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/models/m:predict', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      // Half the body now: the request is in flight when the server is told to stop.
      req.write(body.slice(0, 5));
      setTimeout(() => req.end(body.slice(5)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const closing = server.close(5000);
    const { status, text } = await response;
    await closing;
    assert.equal(status, 200, text);
    assert.ok(JSON.parse(text).predictions);
  });

  it('`tributary runs FILE | head -1` prints one line and no EPIPE trace', async () => {
    writeFileSync(join(dir, 'p.pipeline.yaml'), 'name: p\nroot: .tributary\nnodes: {}\n');
    const store = await MetadataStore.open(join(dir, '.tributary', 'metadata'));
    for (let i = 0; i < 400; i++) {
      const runId = `run-${String(i).padStart(4, '0')}-with-a-long-name-so-that-the-listing-outgrows-a-pipe-buffer`;
      await store.ensureRun(runId, 'p');
      await store.transaction(runId, (data) => void getOrCreateContext(data, 'pipeline_run', runId, { pipeline: 'p', state: 'COMPLETE', startedAt: new Date().toISOString() }));
    }
    const cli = `${JSON.stringify(process.execPath)} --import tsx runtime/src/cli/main.ts runs ${JSON.stringify(join(dir, 'p.pipeline.yaml'))}`;
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${cli} | head -1`], { encoding: 'utf8' });
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
    assert.equal(r.status, 0, r.stderr);
  });
});
