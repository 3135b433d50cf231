import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmMatMul, MIN_COLUMNS, wasmBatchMatMul } from '../../runtime/src/ml/wasm-matmul.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import { onWasmWith } from './fixtures.ts';

const random = mulberry32(3);
const valuesFor = (n: number) => Array.from({ length: n }, () => random() * 2 - 1);

/** `fn` on one backend, its output read back. */
async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]) {
  await tf.setBackend(backend);
  const outs = [tf.tidy(fn)].flat();
  const values = outs.map((o) => ({ shape: o.shape, values: Array.from(o.dataSync()) }));
  tf.dispose(outs);
  return values;
}

function assertClose(actual: { shape: number[]; values: number[] }[], expected: { shape: number[]; values: number[] }[], what: string) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, k) => {
    assert.deepEqual(a.shape, expected[k].shape, what);
    // float32 sums of up to a few hundred products in another order
    a.values.forEach((v, i) => assert.ok(Math.abs(v - expected[k].values[i]) <= 1e-4 * (1 + Math.abs(expected[k].values[i])), `${what} [${k}][${i}]: ${v} vs ${expected[k].values[i]}`));
  });
}

describe('ml/wasm-matmul: transposed products through XNNPACK give what the cpu backend gives', () => {
  onWasmWith(installWasmMatMul);

  it('the installed kernel is the one tf.matMul runs on wasm', () => {
    assert.equal(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc, wasmBatchMatMul);
  });

  const cases: [string, number[], number[], boolean, boolean][] = [
    ['xᵀ·dy (a weight gradient)', [64, 37], [64, 20], true, false],
    ['dy·wᵀ (an input gradient)', [64, 20], [37, 20], false, true],
    ['aᵀ·bᵀ', [30, 64], [50, 30], true, true],
    ['untransposed', [64, 37], [37, 20], false, false],
    [`fewer than ${MIN_COLUMNS} output columns (the loop)`, [64, 37], [64, 1], true, false],
    ['rank 3, a batch of one (as tf.fused.matMul\'s gradient passes them)', [1, 40, 9], [1, 40, 12], true, false],
    ['rank 3, a batch of one, b transposed', [1, 40, 9], [1, 12, 9], false, true],
    ['rank 3, a batch of two (the loop)', [2, 16, 9], [2, 16, 12], true, false],
  ];
  for (const [what, aShape, bShape, ta, tb] of cases) {
    it(what, async () => {
      const [av, bv] = [valuesFor(aShape.reduce((x, y) => x * y)), valuesFor(bShape.reduce((x, y) => x * y))];
      const run = () => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), ta, tb);
      const cpu = await on('cpu', run);
      const wasm = await on('wasm', run);
      assertClose(wasm, cpu, what);
    });
  }

  it('a dense layer\'s gradients match the cpu backend\'s, and nothing is left allocated', async () => {
    const [x, w, b] = [valuesFor(128 * 40), valuesFor(40 * 24), valuesFor(24)];
    const grads = () => {
      // A relu layer (plain products under a gradient) and a linear one (tf.fused.matMul's own gradient).
      const f = (wt: tf.Tensor, bt: tf.Tensor) => {
        const h = tf.relu(tf.add(tf.matMul(tf.tensor(x, [128, 40]), wt), bt)) as tf.Tensor2D;
        return tf.fused.matMul({ a: h, b: tf.transpose(wt) as tf.Tensor2D, activation: 'linear' }).square().sum() as tf.Scalar;
      };
      const { grads: g } = tf.variableGrads(() => f(wv!, bv!), [wv!, bv!]);
      return [g[wv!.name], g[bv!.name]];
    };
    let wv: tf.Variable | undefined;
    let bv: tf.Variable | undefined;
    const prepare = async (backend: string) => {
      await tf.setBackend(backend);
      wv = tf.variable(tf.tensor(w, [40, 24]));
      bv = tf.variable(tf.tensor(b, [24]));
    };
    await prepare('cpu');
    const cpu = await on('cpu', grads);
    await prepare('wasm');
    const before = tf.memory();
    // The transposed copies are the backend's own data, not tensors: count the backend's buffers too.
    const buffersBefore = tf.engine().backend.numDataIds();
    const wasm = await on('wasm', grads);
    for (let i = 0; i < 20; i++) await on('wasm', grads);
    const after = tf.memory();
    assertClose(wasm, cpu, 'gradients');
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
    assert.equal(tf.engine().backend.numDataIds(), buffersBefore);
    tf.dispose([wv!, bv!]);
  });
});
