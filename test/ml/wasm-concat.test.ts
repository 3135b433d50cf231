import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { concatInto, installWasmConcat, wasmConcat } from '../../runtime/src/ml/wasm-concat.ts';
import { useInferenceBackend } from '../../runtime/src/ml/backend.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import { onWasmWith } from './fixtures.ts';

/** Concat on one backend, values read back. */
async function concatOn(backend: string, parts: { values: number[]; shape: number[]; dtype: 'float32' | 'int32' | 'bool' }[], axis: number) {
  await tf.setBackend(backend);
  const ts = parts.map((p) => tf.tensor(p.values, p.shape, p.dtype));
  const out = tf.concat(ts, axis);
  const result = { shape: out.shape, dtype: out.dtype, values: Array.from(await out.data()) };
  tf.dispose([...ts, out]);
  return result;
}

describe('ml/wasm-concat: the faster wasm Concat gives what the cpu backend gives', () => {
  onWasmWith(installWasmConcat);

  it('concatInto interleaves row blocks of every width (1, narrow, wide)', () => {
    const a = Float32Array.from([1, 2, 3]); // 3 × 1
    const b = Float32Array.from([10, 11, 12, 13, 14, 15]); // 3 × 2
    const wide = Float32Array.from({ length: 3 * 40 }, (_, i) => 100 + i); // 3 × 40
    const out = new Float32Array(3 * 43);
    concatInto(out, [a, b, wide], [1, 2, 40], 3);
    for (let r = 0; r < 3; r++) {
      const row = Array.from(out.subarray(r * 43, (r + 1) * 43));
      assert.deepEqual(row, [a[r], b[2 * r], b[2 * r + 1], ...Array.from(wide.subarray(r * 40, (r + 1) * 40))]);
    }
  });

  it('the installed kernel is the one tf.concat runs on wasm', () => {
    const kernel = tf.getKernel('Concat', 'wasm');
    assert.equal(kernel?.kernelFunc, wasmConcat);
  });

  const random = mulberry32(5);
  const cases: { name: string; shapes: number[][]; axis: number; dtype: 'float32' | 'int32' | 'bool' }[] = [
    { name: 'one-column inputs and one-hot blocks on the last axis', shapes: [[257, 1], [257, 1], [257, 7], [257, 33], [257, 100]], axis: 1, dtype: 'float32' },
    { name: 'axis -1 of a rank-3 tensor', shapes: [[4, 5, 2], [4, 5, 1], [4, 5, 40]], axis: -1, dtype: 'float32' },
    { name: 'a middle axis', shapes: [[3, 2, 4], [3, 5, 4]], axis: 1, dtype: 'int32' },
    { name: 'axis 0 (one block per input)', shapes: [[2, 3], [4, 3], [1, 3]], axis: 0, dtype: 'int32' },
    { name: 'booleans', shapes: [[6, 1], [6, 3]], axis: 1, dtype: 'bool' },
    { name: 'an empty input among others (left to the original kernel)', shapes: [[5, 0], [5, 2], [5, 3]], axis: 1, dtype: 'float32' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const parts = c.shapes.map((shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, () => (c.dtype === 'bool' ? Number(random() < 0.5) : c.dtype === 'int32' ? Math.floor(random() * 1000) - 500 : random() * 2 - 1));
        return { values, shape, dtype: c.dtype };
      });
      const wasm = await concatOn('wasm', parts, c.axis);
      const cpu = await concatOn('cpu', parts, c.axis);
      assert.deepEqual(wasm, cpu);
    });
  }

  it('useInferenceBackend keeps the backend this thread already runs on, unless that is the default cpu', async () => {
    await tf.setBackend('cpu');
    assert.equal(await useInferenceBackend(), 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });
});
