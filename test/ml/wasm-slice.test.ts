import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmSlice, sliceInto, wasmSlice, wasmSplitV } from '../../runtime/src/ml/wasm-slice.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import { onWasmWith } from './fixtures.ts';

type DType = 'float32' | 'int32' | 'bool';

const random = mulberry32(11);
const valuesFor = (n: number, dtype: DType) => Array.from({ length: n }, () => (dtype === 'bool' ? Number(random() < 0.5) : dtype === 'int32' ? Math.floor(random() * 1000) - 500 : random() * 2 - 1));

/** `fn` on one backend over a tensor of `shape`, every output read back. */
async function on(backend: string, values: number[], shape: number[], dtype: DType, fn: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]) {
  await tf.setBackend(backend);
  const x = tf.tensor(values, shape, dtype);
  const outs = [fn(x)].flat();
  const result = await Promise.all(outs.map(async (o) => ({ shape: o.shape, dtype: o.dtype, values: Array.from(await o.data()) })));
  tf.dispose([x, ...outs]);
  return result;
}

describe('ml/wasm-slice: the faster wasm Slice and SplitV give what the cpu backend gives', () => {
  onWasmWith(installWasmSlice);

  it('the installed kernels are the ones tf.slice and tf.split run on wasm', () => {
    assert.equal(tf.getKernel('Slice', 'wasm')?.kernelFunc, wasmSlice);
    assert.equal(tf.getKernel('SplitV', 'wasm')?.kernelFunc, wasmSplitV);
  });

  it('sliceInto copies narrow and wide runs, and whole trailing dimensions as one run', () => {
    const x = Float32Array.from({ length: 3 * 40 }, (_, i) => i); // 3 × 40
    const narrow = new Float32Array(3 * 2);
    sliceInto(narrow, x, [3, 40], [0, 5], [3, 2]);
    assert.deepEqual(Array.from(narrow), [5, 6, 45, 46, 85, 86]);
    const wide = new Float32Array(2 * 35);
    sliceInto(wide, x, [3, 40], [1, 3], [2, 35]);
    assert.deepEqual(Array.from(wide), [...Array.from({ length: 35 }, (_, j) => 43 + j), ...Array.from({ length: 35 }, (_, j) => 83 + j)]);
    const rows = new Float32Array(40);
    sliceInto(rows, x, [3, 40], [2, 0], [1, 40]);
    assert.deepEqual(Array.from(rows), Array.from(x.subarray(80, 120)));
  });

  const slices: { name: string; shape: number[]; begin: number[]; size: number[]; dtype: DType }[] = [
    { name: 'a one-hot block of a wide gradient (rank 2, narrow)', shape: [257, 351], begin: [0, 34], size: [257, 10], dtype: 'float32' },
    { name: 'a wide block (rank 2)', shape: [9, 120], begin: [2, 10], size: [5, 100], dtype: 'float32' },
    { name: 'whole rows (contiguous)', shape: [8, 6], begin: [3, 0], size: [4, 6], dtype: 'int32' },
    { name: 'rank 1', shape: [50], begin: [7], size: [30], dtype: 'float32' },
    { name: 'rank 3, a middle axis', shape: [4, 5, 2], begin: [1, 2, 0], size: [3, 2, 2], dtype: 'float32' },
    { name: 'rank 4', shape: [3, 4, 5, 6], begin: [1, 1, 2, 3], size: [2, 2, 3, 2], dtype: 'int32' },
    { name: 'rank 5 (the generic walk)', shape: [2, 3, 2, 3, 4], begin: [1, 0, 1, 1, 1], size: [1, 3, 1, 2, 3], dtype: 'float32' },
    { name: 'booleans', shape: [6, 4], begin: [1, 1], size: [4, 2], dtype: 'bool' },
    { name: 'an empty slice', shape: [5, 4], begin: [2, 1], size: [0, 3], dtype: 'float32' },
    { name: 'size -1 (to the end)', shape: [5, 7], begin: [1, 2], size: [-1, -1], dtype: 'float32' },
  ];
  for (const c of slices) {
    it(`slice: ${c.name}`, async () => {
      const values = valuesFor(c.shape.reduce((a, b) => a * b, 1), c.dtype);
      const fn = (x: tf.Tensor) => tf.slice(x, c.begin, c.size);
      assert.deepEqual(await on('wasm', values, c.shape, c.dtype, fn), await on('cpu', values, c.shape, c.dtype, fn));
    });
  }

  const splits: { name: string; shape: number[]; sizes: number[] | number; axis: number; dtype: DType }[] = [
    { name: "a wide-and-deep concat's gradient split back per input", shape: [64, 351], sizes: [34, 16, 60, 10, 10, 10, 10, 24, 8, 13, 78, 78], axis: 1, dtype: 'float32' },
    { name: 'even pieces along axis 0', shape: [6, 3], sizes: 3, axis: 0, dtype: 'int32' },
    { name: 'a middle axis of rank 3', shape: [2, 7, 3], sizes: [2, 4, 1], axis: 1, dtype: 'float32' },
  ];
  for (const c of splits) {
    it(`split: ${c.name}`, async () => {
      const values = valuesFor(c.shape.reduce((a, b) => a * b, 1), c.dtype);
      const fn = (x: tf.Tensor) => tf.split(x, c.sizes, c.axis);
      assert.deepEqual(await on('wasm', values, c.shape, c.dtype, fn), await on('cpu', values, c.shape, c.dtype, fn));
    });
  }

  it("a concatenation's gradient (a SplitV) is the cpu backend's", async () => {
    const shapes = [[16, 3], [16, 10], [16, 24]];
    const parts = shapes.map((s) => valuesFor(s[0] * s[1], 'float32'));
    const weights = valuesFor(37, 'float32');
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const xs = parts.map((v, i) => tf.tensor2d(v, shapes[i] as [number, number]));
      const w = tf.tensor2d(weights, [37, 1]);
      const g = tf.grads((...ins: tf.Tensor[]) => tf.sum(tf.matMul(tf.concat(ins as tf.Tensor2D[], 1), w)))(xs);
      const out = await Promise.all(g.map((t) => t.data()));
      tf.dispose([...xs, w, ...g]);
      return out.map((a) => Array.from(a));
    };
    assert.deepEqual(await grads('wasm'), await grads('cpu'));
  });
});
