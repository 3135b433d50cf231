import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { PipelinePlan, PlanNode } from '../../runtime/src/core/plan.ts';
import { hashPathParam } from '../../runtime/src/engine/fingerprint.ts';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { fakeChecks, fakeRegistry } from '../helpers/fake-components.ts';
import { Type } from '@sinclair/typebox';
import { defineComponent, Registry } from '../../runtime/src/core/registry.ts';
import { modelPaths } from '../../runtime/src/components/trainer/train-task.ts';
import { BUNDLE_INFO_FILE, WEIGHTS_FILE } from '../../runtime/src/ml/bundle.ts';

function plan(dir: string, nodes: PlanNode[]): PipelinePlan {
  return { name: 'p', file: join(dir, 'p.pipeline.yaml'), dir, root: join(dir, '.tributary'), nodes, registry: fakeRegistry() };
}
const src = (id: string, params: Record<string, unknown> = {}): PlanNode => ({ id, component: 'Source', params, inputs: {} });
const up = (id: string, from: string): PlanNode => ({ id, component: 'Upper', params: {}, inputs: { examples: { node: from, output: 'examples' } } });
const states = (s: { nodes: { id: string; state: string }[] }) => Object.fromEntries(s.nodes.map((n) => [n.id, n.state]));

/** Writes a Model in the Trainer's layout: weights, bundle.json with its creation time, TensorBoard-like logs. */
const retrainer = defineComponent(
  {
    type: 'Retrainer',
    version: '1',
    category: 'custom',
    description: 'A trainer whose weights are a parameter (or TRIB_TEST_WEIGHTS).',
    inputs: {},
    outputs: { model: { type: 'Model', description: 'm' } },
    params: Type.Object({ weights: Type.String() }),
  },
  async () => async (ctx) => {
    const { bundleDir, logDir } = modelPaths(ctx.outputs.model.uri);
    mkdirSync(bundleDir, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(bundleDir, WEIGHTS_FILE), process.env.TRIB_TEST_WEIGHTS ?? ctx.params.weights);
    writeFileSync(join(bundleDir, BUNDLE_INFO_FILE), JSON.stringify({ formatVersion: 1, label: 'y', createdAt: new Date().toISOString() }));
    writeFileSync(join(logDir, `events.out.tfevents.${Date.now()}.host`), String(Date.now()));
  },
);

/** What the cache reuses follows content, not the keys that made it. */
describe('cache follows content', function () {
  this.timeout(120_000);
  let dir: string;
  let pool: WorkerPool;
  before(() => (pool = createPool(1)));
  after(() => pool.close());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-content-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an upstream re-executed with different output content is never a downstream hit', async () => {
    const p = plan(dir, [src('a', { random: true }), up('b', 'a')]);
    const first = await runPipeline(p, { pool });
    assert.equal(first.state, 'COMPLETE');
    // Like `run --only trainer --no-cache`: same key, new (different) content.
    await runPipeline(p, { pool, only: ['a'], useCache: false });
    const again = await runPipeline(p, { pool });
    assert.deepEqual(states(again), { a: 'CACHED', b: 'COMPLETE' });
    const aOut = readFileSync(join(again.nodes[0].outputs!.examples.uri, 'value.txt'), 'utf8');
    const bOut = readFileSync(join(again.nodes[1].outputs!.statistics.uri, 'value.txt'), 'utf8');
    assert.equal(bOut, aOut.toUpperCase(), 'b was computed from the content a holds now');
  });

  it('an upstream re-executed with identical output content is a legitimate downstream hit', async () => {
    const p = plan(dir, [src('a', { value: 'same' }), up('b', 'a')]);
    await runPipeline(p, { pool });
    await runPipeline(p, { pool, only: ['a'], useCache: false });
    assert.deepEqual(states(await runPipeline(p, { pool })), { a: 'CACHED', b: 'CACHED' });
  });

  // A retrained Model whose weights are identical: only its creation time and its logs differ.
  it('a Model retrained to identical weights is a downstream hit (creation time and logs are not content); other weights are not', async () => {
    const registry = new Registry().register(retrainer).register(fakeChecks);
    const p: PipelinePlan = {
      ...plan(dir, [
        { id: 'trainer', component: 'Retrainer', params: { weights: 'w1' }, inputs: {} },
        { id: 'checks', component: 'FakeChecks', params: {}, inputs: { model: { node: 'trainer', output: 'model' } } },
      ]),
      registry,
    };
    await runPipeline(p, { pool });
    await new Promise((r) => setTimeout(r, 20)); // a later createdAt, a new log file name
    await runPipeline(p, { pool, only: ['trainer'], useCache: false });
    assert.deepEqual(states(await runPipeline(p, { pool })), { trainer: 'CACHED', checks: 'CACHED' });
    // Same key, other weights: the checks run again.
    process.env.TRIB_TEST_WEIGHTS = 'w2';
    try {
      await runPipeline(p, { pool, only: ['trainer'], useCache: false });
    } finally {
      delete process.env.TRIB_TEST_WEIGHTS;
    }
    assert.deepEqual(states(await runPipeline(p, { pool })), { trainer: 'CACHED', checks: 'COMPLETE' });
  });

  it('an output edited by hand or half deleted is not reused; a touch alone is', async () => {
    const p = plan(dir, [src('a', { value: 'x' })]);
    const first = await runPipeline(p, { pool });
    const file = join(first.nodes[0].outputs!.examples.uri, 'value.txt');
    // Same content, new mtime: rehashed, still a hit.
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(states(await runPipeline(p, { pool })), { a: 'CACHED' });
    // Same size, other bytes, mtime moved: a miss.
    writeFileSync(file, 'y');
    assert.deepEqual(states(await runPipeline(p, { pool })), { a: 'COMPLETE' });
    // A file added inside the newest output: a miss.
    const second = await runPipeline(p, { pool });
    assert.deepEqual(states(second), { a: 'CACHED' });
    writeFileSync(join(second.nodes[0].outputs!.examples.uri, 'extra.txt'), '!');
    assert.deepEqual(states(await runPipeline(p, { pool })), { a: 'COMPLETE' });
    // A file deleted: a miss.
    const third = await runPipeline(p, { pool });
    rmSync(join(third.nodes[0].outputs!.examples.uri, 'value.txt'));
    assert.deepEqual(states(await runPipeline(p, { pool })), { a: 'COMPLETE' });
  });

  it('an empty path parameter hashes no file: files added beside the pipeline do not rerun the node', async () => {
    assert.equal(await hashPathParam('', dir), await (async () => {
      writeFileSync(join(dir, 'notes.txt'), 'a file beside the pipeline');
      return hashPathParam('', dir);
    })());
    const p = plan(dir, [src('a', { data: '' })]);
    await runPipeline(p, { pool });
    writeFileSync(join(dir, 'other.txt'), 'changed between runs');
    appendFileSync(join(dir, 'notes.txt'), ' (edited)');
    assert.deepEqual(states(await runPipeline(p, { pool })), { a: 'CACHED' });
  });
});

/** One resolver decides what a folder or glob input reads and what the key hashes. */
describe('folder and glob inputs: what is read is what is hashed', function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-folder-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    mkdirSync(join(dir, 'data', 'part1'), { recursive: true });
    writeFileSync(join(dir, 'data', 'top.csv'), 'x,y\n1,2\n3,4\n');
    writeFileSync(join(dir, 'data', 'part1', 'x.csv'), 'x,y\n5,6\n7,8\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const input of ['data', 'data/**/*.csv']) {
    it(`editing a nested file of input "${input}" reruns the ExampleGen`, async () => {
      writeFileSync(join(dir, 'p.pipeline.yaml'), `name: folder\nroot: .tributary\nnodes:\n  gen:\n    component: CsvExampleGen\n    params: { input: "${input}" }\n`);
      const p = await loadPlanOrThrow(join(dir, 'p.pipeline.yaml'));
      const first = await runPipeline(p, { workers: 1 });
      assert.equal(first.state, 'COMPLETE');
      assert.equal(first.nodes[0].outputs!.examples.properties.rowCount ?? 4, 4);
      assert.deepEqual(states(await runPipeline(p, { workers: 1 })), { gen: 'CACHED' });
      appendFileSync(join(dir, 'data', 'part1', 'x.csv'), '9,10\n');
      const after = await runPipeline(p, { workers: 1 });
      assert.deepEqual(states(after), { gen: 'COMPLETE' });
    });
  }
});
