/**
 * The compiled step's loops (runtime/assembly/step-kernels.ts, compiled to wasm) bound to tfjs's
 * wasm heap: every pointer is a byte offset into that heap. The module is compiled once per
 * isolate from the bytes in step-kernels.wasm.ts (a few kilobytes: Liftoff has it ready before the
 * first step) and instantiated once per heap.
 */
import { STEP_KERNELS_WASM } from './step-kernels.wasm.ts';

/** Activation kinds of activationBackward. */
export const ACTIVATION_KIND = { relu: 1, sigmoid: 2, tanh: 3 } as const;
/** Metric kinds of metricMean. */
export const METRIC_KIND = { binaryCrossentropy: 0, binaryAccuracy: 1, meanSquaredError: 2, meanAbsoluteError: 3 } as const;

export interface StepKernels {
  copyColumns(src: number, width: number, dst: number, dstWidth: number, col: number, rows: number): void;
  addColumns(src: number, srcWidth: number, col: number, dst: number, width: number, rows: number): void;
  takeColumns(src: number, srcWidth: number, col: number, dst: number, width: number, rows: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  copyRows(kernel: number, row: number, width: number, units: number, dst: number, dstRow: number): void;
  fill(at: number, n: number, value: number): void;
  smallMatmul(x: number, rows: number, inner: number, k: number, units: number, out: number, bias: number, hasBias: boolean): void;
  smallWeightGrad(x: number, rows: number, inner: number, dz: number, units: number, dk: number): void;
  smallInputGrad(dz: number, rows: number, units: number, k: number, inner: number, dx: number): void;
  addOneHotRows(ids: number, rows: number, depth: number, kernel: number, row: number, units: number, out: number): void;
  scatterOneHotGrad(ids: number, rows: number, depth: number, dz: number, units: number, grad: number, row: number): void;
  columnSums(dz: number, rows: number, units: number, grad: number): void;
  addBias(y: number, rows: number, units: number, bias: number): void;
  relu(y: number, n: number): void;
  sigmoid(y: number, n: number): void;
  tanh(y: number, n: number): void;
  activationBackward(kind: number, y: number, g: number, rows: number, units: number, bias: number, hasBias: boolean): void;
  lossGradient(bce: boolean, p: number, t: number, g: number, n: number, lo: number, hi: number, scale: number): void;
  metricMean(kind: number, p: number, t: number, n: number, lo: number, hi: number): number;
}

let compiled: WebAssembly.Module | undefined;
const bound = new WeakMap<WebAssembly.Memory, StepKernels>();

/** The kernels over `memory` (tfjs's wasm heap), instantiated once per memory. */
export function stepKernels(memory: WebAssembly.Memory): StepKernels {
  let kernels = bound.get(memory);
  if (!kernels) {
    compiled ??= new WebAssembly.Module(Buffer.from(STEP_KERNELS_WASM, 'base64'));
    kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as StepKernels;
    bound.set(memory, kernels);
  }
  return kernels;
}
