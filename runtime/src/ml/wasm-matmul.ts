/**
 * A faster BatchMatMul for tfjs's wasm backend when an operand is transposed. tfjs-backend-wasm
 * 4.22 sends a matrix product to XNNPACK's fully-connected operator (SIMD, packed weights) only
 * when neither operand is transposed; a transposed one goes to a plain blocked triple loop with
 * strided reads. Backpropagation through a dense layer is exactly that: the weight gradient is
 * xᵀ·dy and the input gradient dy·wᵀ, so for the taxi model (batch 512) those loops were over half
 * of a training step's CPU, 5 to 10 times slower than XNNPACK on the same product.
 *
 * Here the transposed operand is transposed once (wasm's Transpose kernel, a linear copy) and the
 * product runs untransposed through the original kernel, hence XNNPACK. Products with fewer than
 * `MIN_COLUMNS` output columns stay on the loop (XNNPACK pads the columns to its register tile, so
 * for a one-unit output layer's xᵀ·dy the loop is faster), as do batched products (rank 3 with a
 * batch of more than one; tf.fused.matMul's gradient passes a batch of one, which is taken) and
 * non-float32 ones. The sums come out in XNNPACK's order rather than the loop's, so the last bits
 * can differ from tfjs's own wasm kernel (as XNNPACK's forward products already differ from the
 * cpu backend's); every replica of a data-parallel training runs the same kernels, so replicas
 * stay bit-identical.
 */
import * as tf from '@tensorflow/tfjs';
import { replaceWasmKernel } from './wasm-kernel.ts';

interface WasmBackendLike {
  disposeData(dataId: object): void;
}

/** Below this many output columns the original loop is faster (measured: a [351,1] weight gradient). */
export const MIN_COLUMNS = 8;

let originalBatchMatMul: tf.KernelFunc | undefined;
let transposeKernel: tf.KernelFunc | undefined;

/** The BatchMatMul kernel installWasmMatMul registers for wasm. */
export const wasmBatchMatMul: tf.KernelFunc = (args) => {
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const rank = a.shape.length;
  const columns = transposeB ? b.shape[rank - 2] : b.shape[rank - 1];
  // Matrices, or a batch of one of each (tf.fused.matMul's gradient reshapes to rank 3).
  const single = rank === 2 || (rank === 3 && a.shape[0] === 1 && b.shape[0] === 1);
  if ((!transposeA && !transposeB) || b.shape.length !== rank || !single || a.dtype !== 'float32' || b.dtype !== 'float32' || columns < MIN_COLUMNS) {
    return originalBatchMatMul!(args);
  }
  const backend = args.backend as unknown as WasmBackendLike;
  const perm = rank === 2 ? [1, 0] : [0, 2, 1];
  const transpose = (x: tf.TensorInfo) => transposeKernel!({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
  const at = transposeA ? transpose(a) : a;
  const bt = transposeB ? transpose(b) : b;
  try {
    return originalBatchMatMul!({ inputs: { a: at, b: bt }, backend: args.backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  } finally {
    if (at !== a) backend.disposeData(at.dataId);
    if (bt !== b) backend.disposeData(bt.dataId);
  }
};

/** Replaces the wasm backend's BatchMatMul kernel (once per thread; a no-op until the backend is registered). */
export function installWasmMatMul(): void {
  if (originalBatchMatMul) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  transposeKernel = transpose.kernelFunc;
  originalBatchMatMul = replaceWasmKernel('BatchMatMul', wasmBatchMatMul);
}
