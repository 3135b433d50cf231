import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../runtime/src/ml/backend.ts';
import { loadBundle, saveBundle } from '../../runtime/src/ml/bundle.ts';
import { oneHot } from '../../runtime/src/ml/layers.ts';
import { isUserError } from '../../runtime/src/core/errors.ts';
import { fixtureFeatures, writeTransformGraph } from './fixtures.ts';

const quiet = { info: () => undefined, warn: () => undefined };

function buildModel(units = 1): tf.LayersModel {
  const x1 = tf.input({ shape: [1], name: 'x1_xf' });
  const x2 = tf.input({ shape: [1], name: 'x2_xf' });
  const k = tf.input({ shape: [1], name: 'k_xf', dtype: 'int32' });
  const wide = oneHot({ depth: 3 }).apply(k) as tf.SymbolicTensor;
  const deep = tf.layers.dense({ units: 4, activation: 'relu' }).apply(tf.layers.concatenate().apply([x1, x2]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units, activation: units === 1 ? 'sigmoid' : 'softmax' })
    .apply(tf.layers.concatenate().apply([deep, wide]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  // Inputs deliberately not in the graph's output order: predict must follow the model's order.
  return tf.model({ inputs: [k, x2, x1], outputs: out });
}

const rows = [
  { x1: 0.5, x2: 3, k: 2 },
  { x1: -1, x2: null, k: 1 },
  { x1: null, x2: 0, k: 7 }, // k out of range → 0
  { x1: 2.25, x2: -4, k: 0 },
];

function inMemoryPredict(model: tf.LayersModel): Float32Array {
  const f = fixtureFeatures(rows);
  const n = rows.length;
  return tf.tidy(() => {
    const y = model.predict([tf.tensor2d(f.k_xf, [n, 1], 'int32'), tf.tensor2d(f.x2_xf, [n, 1]), tf.tensor2d(f.x1_xf, [n, 1])]) as tf.Tensor;
    return y.dataSync() as Float32Array;
  });
}

describe('ml/bundle', () => {
  let dir: string;
  before(async () => {
    await selectBackend('cpu', quiet);
    dir = mkdtempSync(join(tmpdir(), 'trib-bundle-'));
    writeTransformGraph(join(dir, 'graph'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('save → load → predict on raw rows equals the in-memory model on independently computed features', async () => {
    const model = buildModel();
    const expected = inMemoryPredict(model);
    const bundleDir = join(dir, 'b1');
    await saveBundle(bundleDir, {
      model,
      transformGraphDir: join(dir, 'graph'),
      info: { task: 'binary', label: 'label_xf', rawFeatures: [], backend: 'cpu', trainMetrics: { loss: 0.5 } },
    });
    for (const f of ['model.json', 'weights.bin', 'bundle.json', 'transform/transform_graph.json', 'transform/module.mjs']) {
      assert.ok(existsSync(join(bundleDir, f)), f);
    }
    const modelJson = JSON.parse(readFileSync(join(bundleDir, 'model.json'), 'utf8'));
    assert.deepEqual(modelJson.weightsManifest[0].paths, ['./weights.bin']);
    const weightBytes = model.getWeights().reduce((n, w) => n + w.size * 4, 0);
    assert.equal(readFileSync(join(bundleDir, 'weights.bin')).length, weightBytes);

    const bundle = await loadBundle(bundleDir);
    assert.deepEqual(bundle.info.inputFeatures, ['k_xf', 'x2_xf', 'x1_xf']);
    assert.equal(bundle.info.task, 'binary');
    const got = bundle.predict(rows) as number[];
    assert.equal(got.length, rows.length);
    assert.deepEqual(got, Array.from(expected));
    // weights identical after the round trip
    const a = model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = bundle.model.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(b, a);
    bundle.dispose();
    model.dispose();
  });

  it('multiclass predictions come back per row as class probabilities', async () => {
    const model = buildModel(3);
    const expected = inMemoryPredict(model);
    const bundleDir = join(dir, 'b2');
    await saveBundle(bundleDir, {
      model,
      transformGraphDir: join(dir, 'graph'),
      info: { task: 'multiclass', label: 'label_xf', classes: ['a', 'b', 'c'], rawFeatures: [], backend: 'cpu', trainMetrics: {} },
    });
    const bundle = await loadBundle(bundleDir);
    const got = bundle.predict(rows) as number[][];
    assert.equal(got.length, 4);
    assert.deepEqual(got.flat(), Array.from(expected));
    for (const p of got) assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    bundle.dispose();
    model.dispose();
  });

  it('bad requests and broken bundles are UserErrors', async () => {
    const bundle = await loadBundle(join(dir, 'b1'));
    assert.throws(() => bundle.predict([{ x1: 'abc' }]), (e: unknown) => isUserError(e) && /x1/.test((e as Error).message));
    bundle.dispose();
    await assert.rejects(loadBundle(join(dir, 'nope')), (e: unknown) => isUserError(e) && /bundle\.json/.test((e as Error).message));
    rmSync(join(dir, 'b2', 'weights.bin'));
    await assert.rejects(loadBundle(join(dir, 'b2')), (e: unknown) => isUserError(e) && /weights/.test((e as Error).message));
  });
});
