import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_KIND, METRIC_KIND, stepKernels } from '../../runtime/src/ml/compiled-step/step-kernels.ts';
import { STEP_KERNELS_WASM } from '../../runtime/src/ml/compiled-step/step-kernels.wasm.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

/** A heap of its own with float32 arrays placed on it, and the kernels over it. */
function heap() {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const f32 = new Float32Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  let next = 64; // byte offset; 0 stays unused, as on tfjs's heap
  const place = (values: ArrayLike<number>, ints = false) => {
    const at = next;
    (ints ? i32 : f32).set(values, at >> 2);
    next += Math.ceil((values.length * 4) / 16) * 16 + 16;
    return at;
  };
  const read = (at: number, n: number) => Array.from(f32.subarray(at >> 2, (at >> 2) + n));
  return { k: stepKernels(memory), place, read, f32 };
}

const random = mulberry32(7);
const values = (n: number) => Array.from({ length: n }, () => Math.fround(random() * 2 - 1));
const close = (a: number[], b: number[], tol = 1e-6) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `[${i}] ${v} vs ${b[i]}`));

describe('ml/step-kernels: the compiled step\'s loops in wasm', function () {
  this.timeout(60_000);

  it('is what runtime/assembly/step-kernels.ts compiles to, and imports only its memory (no data segments to write into the heap)', () => {
    execFileSync(process.execPath, ['scripts/build-step-kernels.mjs', '--check'], { stdio: 'pipe' });
    const module = new WebAssembly.Module(Buffer.from(STEP_KERNELS_WASM, 'base64'));
    assert.deepEqual(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  it('transposes, copies columns and rows, and gathers and scatters one-hot rows (ids out of range are zero rows)', () => {
    const { k, place, read } = heap();
    const rows = 7;
    const cols = 5;
    const src = values(rows * cols);
    const s = place(src);
    const t = place(new Array(rows * cols).fill(0));
    k.transpose(s, rows, cols, t);
    assert.deepEqual(read(t, rows * cols), Array.from({ length: rows * cols }, (_, i) => src[(i % rows) * cols + Math.floor(i / rows)]));

    const units = 6;
    const depth = 4;
    const kernel = values((depth + 2) * units);
    const ids = [0, 3, -1, 4, 2, 2, 9];
    const kAt = place(kernel);
    const idsAt = place(ids, true);
    const base = values(rows * units);
    const out = place(base);
    k.addOneHotRows(idsAt, rows, depth, kAt, 2, units, out);
    const expected = base.map((v, i) => {
      const id = ids[Math.floor(i / units)];
      return id >= 0 && id < depth ? Math.fround(v + kernel[(2 + id) * units + (i % units)]) : v;
    });
    assert.deepEqual(read(out, rows * units), expected);

    const grad = place(new Array((depth + 2) * units).fill(0));
    const dz = values(rows * units);
    const dzAt = place(dz);
    k.scatterOneHotGrad(idsAt, rows, depth, dzAt, units, grad, 2);
    const g = new Float32Array((depth + 2) * units);
    ids.forEach((id, r) => {
      if (id < 0 || id >= depth) return;
      for (let j = 0; j < units; j++) g[(2 + id) * units + j] += dz[r * units + j];
    });
    assert.deepEqual(read(grad, g.length), Array.from(g));

    // Columns 2..4 of a 5-wide matrix into a 3-wide one, and back added.
    const part = place(new Array(rows * 3).fill(0));
    k.takeColumns(s, cols, 2, part, 3, rows);
    assert.deepEqual(read(part, rows * 3), Array.from({ length: rows * 3 }, (_, i) => src[Math.floor(i / 3) * cols + 2 + (i % 3)]));
    const wide = place(new Array(rows * cols).fill(0));
    k.copyColumns(part, 3, wide, cols, 1, rows);
    assert.deepEqual(read(wide, rows * cols), Array.from({ length: rows * cols }, (_, i) => (i % cols >= 1 && i % cols < 4 ? src[Math.floor(i / cols) * cols + 2 + (i % cols) - 1] : 0)));
  });

  it('activations and their backward passes with the bias gradient, small products, loss gradient and metrics, as the JS formulas', () => {
    const { k, place, read } = heap();
    const rows = 9;
    const units = 5;
    const pre = values(rows * units);
    for (const [name, kind] of Object.entries(ACTIVATION_KIND)) {
      const f = (x: number) => (name === 'relu' ? Math.max(x, 0) : name === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : Math.tanh(x));
      const y = place(pre);
      k[name as 'relu'](y, rows * units);
      const yv = pre.map((x) => Math.fround(f(x)));
      close(read(y, rows * units), yv);
      const g0 = values(rows * units);
      const g = place(g0);
      const bias = place(new Array(units).fill(7));
      k.activationBackward(kind, y, g, rows, units, bias, true);
      const d = g0.map((v, i) => (name === 'relu' ? (yv[i] > 0 ? v : 0) : name === 'sigmoid' ? v * yv[i] * (1 - yv[i]) : v * (1 - yv[i] * yv[i])));
      close(read(g, rows * units), d);
      close(read(bias, units), Array.from({ length: units }, (_, j) => d.filter((_, i) => i % units === j).reduce((a, b) => a + b, 0)), 1e-5);
    }
    // A product with one output unit (XNNPACK pads those), with and without bias, and its two gradients.
    const inner = 6;
    const x = values(rows * inner);
    const w = values(inner);
    const [xAt, wAt, bAt, outAt] = [place(x), place(w), place([0.5]), place(new Array(rows).fill(0))];
    k.smallMatmul(xAt, rows, inner, wAt, 1, outAt, bAt, true);
    close(read(outAt, rows), Array.from({ length: rows }, (_, r) => 0.5 + w.reduce((s, wi, i) => s + wi * x[r * inner + i], 0)), 1e-6);
    const dz = values(rows);
    const [dzAt, dk, dx] = [place(dz), place(new Array(inner).fill(9)), place(new Array(rows * inner).fill(9))];
    k.smallWeightGrad(xAt, rows, inner, dzAt, 1, dk);
    close(read(dk, inner), Array.from({ length: inner }, (_, i) => dz.reduce((s, d, r) => s + d * x[r * inner + i], 0)), 1e-5);
    k.smallInputGrad(dzAt, rows, 1, wAt, inner, dx);
    close(read(dx, rows * inner), Array.from({ length: rows * inner }, (_, i) => dz[Math.floor(i / inner)] * w[i % inner]));

    const n = 40;
    const p = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? 0 : Math.fround(random())));
    const t = Array.from({ length: n }, () => (random() > 0.5 ? 1 : 0));
    const [pAt, tAt, gAt] = [place(p), place(t), place(new Array(n).fill(0))];
    const eps = 1e-7;
    const hi = Math.fround(1 - eps);
    k.lossGradient(true, pAt, tAt, gAt, n, eps, hi, 1 / n);
    close(read(gAt, n), p.map((v, i) => (v >= eps && v <= hi ? (v - t[i]) / n : 0)));
    k.lossGradient(false, pAt, tAt, gAt, n, eps, hi, 1 / n);
    close(read(gAt, n), p.map((v, i) => (2 * (v - t[i])) / n));
    const yT = tf.tensor1d(t);
    const yP = tf.tensor1d(p);
    const reference: Record<keyof typeof METRIC_KIND, tf.Tensor> = {
      binaryCrossentropy: tf.metrics.binaryCrossentropy(yT, yP),
      binaryAccuracy: tf.metrics.binaryAccuracy(yT, yP),
      meanSquaredError: tf.metrics.meanSquaredError(yT, yP),
      meanAbsoluteError: tf.metrics.meanAbsoluteError(yT, yP),
    };
    for (const [name, kind] of Object.entries(METRIC_KIND)) {
      const expected = reference[name as keyof typeof METRIC_KIND].dataSync()[0];
      assert.ok(Math.abs(k.metricMean(kind, pAt, tAt, n, eps, hi) - expected) < 1e-5, name);
    }
    tf.dispose([yT, yP, ...Object.values(reference)]);
  });
});
