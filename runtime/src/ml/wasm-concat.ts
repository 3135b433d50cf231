/**
 * A faster Concat for tfjs's wasm backend. Its own kernel (tfjs-backend-wasm 4.22) copies in
 * JavaScript with one `subarray` + `set` per row per input: concatenating a wide-and-deep model's
 * one-column inputs and one-hot blocks along the last axis then costs more than the model's
 * matrix products (a quarter of the Evaluator's predict time, and the same in every training
 * step). This kernel copies the same bytes with plain index loops for narrow inputs and
 * `set` only where a row's block is wide enough to pay for the view. Strings, empty inputs and
 * single inputs go to the original kernel; the result is identical (it is a copy).
 */
import * as tf from '@tensorflow/tfjs';
import { replaceWasmKernel } from './wasm-kernel.ts';

type TypedArray = Float32Array | Int32Array | Uint8Array;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): TypedArray;
}

/** A row block at least this wide is copied with subarray + set, narrower ones element by element. */
const SET_MIN_WIDTH = 32;

/**
 * Copies `inputs` (row-major, `inner[i]` values per outer index) side by side into `out`, which
 * has `outer` × Σ inner values.
 */
export function concatInto(out: TypedArray, inputs: TypedArray[], inner: number[], outer: number): void {
  let total = 0;
  for (const d of inner) total += d;
  let offset = 0;
  for (let i = 0; i < inputs.length; i++) {
    const src = inputs[i];
    const d = inner[i];
    if (d === 1) {
      for (let b = 0, o = offset; b < outer; b++, o += total) out[o] = src[b];
    } else if (d < SET_MIN_WIDTH) {
      for (let b = 0, o = offset, s = 0; b < outer; b++, o += total) for (let j = 0; j < d; j++) out[o + j] = src[s++];
    } else {
      for (let b = 0, o = offset; b < outer; b++, o += total) out.set(src.subarray(b * d, (b + 1) * d), o);
    }
    offset += d;
  }
}

let original: tf.KernelFunc | undefined;

/** The Concat kernel installWasmConcat registers for wasm. */
export const wasmConcat: tf.KernelFunc = (args) => {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (nonEmpty.length < 2 || nonEmpty.length !== inputs.length || inputs[0].dtype === 'string') return original!(args);
  const axis = tf.util.parseAxisParam((args.attrs?.axis ?? 0) as number | number[], inputs[0].shape)[0];
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const backend = args.backend as unknown as WasmBackendLike;
  // Views of the heap only after makeOutput: allocating may grow (and so replace) the heap.
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  const outer = tf.util.sizeFromShape(inputs[0].shape.slice(0, axis));
  const inner = inputs.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
  concatInto(
    backend.typedArrayFromHeap(out),
    inputs.map((t) => backend.typedArrayFromHeap(t)),
    inner,
    outer,
  );
  return out;
};

/** Replaces the wasm backend's Concat kernel (once per thread; a no-op until the backend is registered). */
export function installWasmConcat(): void {
  original ??= replaceWasmKernel('Concat', wasmConcat);
}
