/**
 * A faster Slice and SplitV for tfjs's wasm backend. Its own Slice (tfjs-backend-wasm 4.22) first
 * copies the WHOLE input out of the wasm heap (`readSync`) and then copies the slice row by row
 * with one `subarray` view + `set` per row; SplitV is one such slice per piece. The gradient of a
 * concatenation is a SplitV: for a wide-and-deep model whose one-hot blocks are concatenated, every
 * training step copies the whole [batch, width] gradient once per input and makes batch × inputs
 * views — measured at a fifth of a wasm training step's CPU time, and most of its garbage (the
 * copies are fresh ArrayBuffers that V8's helper threads then sweep). These kernels read the input
 * through a view of the heap and copy narrow runs element by element. Strings and complex numbers
 * go to the original kernels; the result is identical (it is a copy).
 */
import * as tf from '@tensorflow/tfjs';
import { replaceWasmKernel } from './wasm-kernel.ts';

type TypedArray = Float32Array | Int32Array | Uint8Array;

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): TypedArray;
}

/** A contiguous run at least this long is copied with subarray + set, shorter ones element by element. */
const SET_MIN_WIDTH = 32;

/**
 * Copies the box of `size` at `begin` out of `x` (row-major, of `shape`) into `out`. Trailing
 * dimensions taken whole make one contiguous run with the dimension before them.
 */
export function sliceInto(out: TypedArray, x: TypedArray, shape: number[], begin: number[], size: number[]): void {
  const rank = shape.length;
  if (out.length === 0) return;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  let inner = rank - 1;
  let run = size[inner];
  while (inner > 0 && size[inner] === shape[inner]) {
    inner--;
    run *= size[inner];
  }
  // Dimensions before `inner` are walked with an odometer; the run starts at begin[inner].
  const index = new Array<number>(inner).fill(0);
  let count = 1;
  for (let d = 0; d < inner; d++) count *= size[d];
  for (let k = 0, o = 0; k < count; k++, o += run) {
    let at = begin[inner] * strides[inner];
    for (let d = 0; d < inner; d++) at += (begin[d] + index[d]) * strides[d];
    if (run >= SET_MIN_WIDTH) out.set(x.subarray(at, at + run), o);
    else for (let j = 0; j < run; j++) out[o + j] = x[at + j];
    for (let d = inner - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
}

function sliceOn(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  // Views of the heap only after makeOutput: allocating may grow (and so replace) the heap.
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) > 0) sliceInto(backend.typedArrayFromHeap(out), backend.typedArrayFromHeap(x), x.shape, begin, size);
  return out;
}

const copiedAsIs = (t: tf.TensorInfo) => t.dtype === 'string' || t.dtype === 'complex64';

let originalSlice: tf.KernelFunc | undefined;
let originalSplitV: tf.KernelFunc | undefined;

/** The Slice kernel installWasmSlice registers for wasm. */
export const wasmSlice: tf.KernelFunc = (args) => {
  const x = (args.inputs as unknown as { x: tf.TensorInfo }).x;
  if (copiedAsIs(x)) return originalSlice!(args);
  const attrs = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  return sliceOn(args.backend as unknown as WasmBackendLike, x, begin, size);
};

/** The SplitV kernel installWasmSlice registers for wasm: one slice per piece along the axis. */
export const wasmSplitV: tf.KernelFunc = (args) => {
  const x = (args.inputs as unknown as { x: tf.TensorInfo }).x;
  if (copiedAsIs(x)) return originalSplitV!(args);
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[$axis] = s;
    const out = sliceOn(args.backend as unknown as WasmBackendLike, x, [...begin], size);
    begin[$axis] += s;
    return out;
  });
};

/** Replaces the wasm backend's Slice and SplitV kernels (once per thread; a no-op until the backend is registered). */
export function installWasmSlice(): void {
  if (originalSlice || !tf.getKernel('Slice', 'wasm') || !tf.getKernel('SplitV', 'wasm')) return;
  originalSlice = replaceWasmKernel('Slice', wasmSlice);
  originalSplitV = replaceWasmKernel('SplitV', wasmSplitV);
}
