/**
 * The compiled step's access to tfjs's wasm backend below the tensor level: buffers on the wasm
 * heap registered under tensor ids (so the backend's kernels can read and write them), views of
 * the heap, the step's loops (step-kernels.ts) bound to it, and XNNPACK's fully-connected product
 * through the backend's own `_FusedMatMul` export (the same call a Dense layer's forward makes in
 * tfjs).
 *
 * XNNPACK caches a packed copy of the right-hand operand under its tensor id and drops it when
 * that id is disposed. A buffer whose contents change between products where it is the right-hand
 * operand therefore gets a new id first (`renew`); tfjs's variables get a new id whenever the
 * optimizer assigns them, so their ids can be used as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { type StepKernels, stepKernels } from './step-kernels.ts';

interface WasmModule {
  _malloc(bytes: number): number;
  _free(offset: number): void;
  HEAPU8: Uint8Array;
  /** The instance's exports: its memory is the heap; _FusedMatMul takes the shapes as heap pointers. */
  asm: { memory: WebAssembly.Memory; _FusedMatMul: FusedMatMul };
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
}

interface WasmBackendLike {
  wasm: WasmModule;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
}

/** XNNPACK's fused activations as tfjs-backend-wasm numbers them (kernels/types.ts). */
export const FUSED = { linear: 0, relu: 1, sigmoid: 5 } as const;

/** A float32 buffer on the wasm heap, registered as a tensor id. `at` indexes the heap's Float32Array. */
export interface HeapBuffer {
  id: number;
  offset: number;
  size: number;
  at: number;
}

type FusedMatMul = (aId: number, aShape: number, aRank: number, bId: number, bShape: number, bRank: number, transposeA: number, transposeB: number, activation: number, biasId: number, preluId: number, alpha: number, outId: number) => void;

export class WasmHeap {
  private readonly backend: WasmBackendLike;
  private readonly fusedMatMul: FusedMatMul;
  private f32View?: Float32Array;
  private i32View?: Int32Array;
  private readonly owned = new Set<HeapBuffer>();
  /** The products' two shapes, [1, m, k] and [1, k, n], as int32s on the heap (the export reads them there). */
  private readonly shapes: number;
  /** The step's loops, on this heap (pointers are byte offsets). */
  readonly kernels: StepKernels;

  constructor() {
    if (tf.getBackend() !== 'wasm') throw new Error('WasmHeap needs the wasm backend');
    this.backend = tf.backend() as unknown as WasmBackendLike;
    this.kernels = stepKernels(this.backend.wasm.asm.memory);
    // The export itself, not tfjs's cwrap of it: cwrap copies both shapes onto the stack each call.
    this.fusedMatMul = this.backend.wasm.asm._FusedMatMul;
    this.shapes = this.backend.wasm._malloc(6 * 4) >>> 0;
  }

  /** The heap as float32 (re-made when the heap has grown, which detaches older views). */
  f32(): Float32Array {
    const buffer = this.backend.wasm.HEAPU8.buffer;
    if (this.f32View?.buffer !== buffer) this.f32View = new Float32Array(buffer);
    return this.f32View;
  }

  i32(): Int32Array {
    const buffer = this.backend.wasm.HEAPU8.buffer;
    if (this.i32View?.buffer !== buffer) this.i32View = new Int32Array(buffer);
    return this.i32View;
  }

  alloc(size: number): HeapBuffer {
    const offset = this.backend.wasm._malloc(Math.max(1, size) * 4) >>> 0;
    const buf = { id: this.nextId(), offset, size, at: offset >>> 2 };
    this.backend.wasm.tfjs.registerTensor(buf.id, size, offset);
    this.owned.add(buf);
    return buf;
  }

  /** A new id for changed contents (XNNPACK's packed copy under the old id is dropped). */
  renew(buf: HeapBuffer): void {
    buf.id = renewId(this.backend, buf.id, buf.size, buf.offset);
  }

  free(buf: HeapBuffer): void {
    if (!this.owned.delete(buf)) return;
    this.backend.wasm.tfjs.disposeData(buf.id);
    this.backend.wasm._free(buf.offset);
  }

  dispose(): void {
    for (const buf of [...this.owned]) this.free(buf);
    this.backend.wasm._free(this.shapes);
  }

  /** Where a tfjs tensor's values are: its tensor id and heap index (float32/int32 elements). */
  locate(t: tf.Tensor): { id: number; at: number } {
    const data = this.backend.dataIdMap.get(t.dataId);
    if (!data) throw new Error('compiled step: a tensor that is not on the wasm backend');
    return { id: data.id, at: data.memoryOffset >>> 2 };
  }

  /** out[m×n] = activation(a[m×k] · b[k×n] + bias) by XNNPACK (b is the operand it packs and caches by id). */
  matmul(aId: number, m: number, k: number, bId: number, n: number, outId: number, biasId = 0, activation: number = FUSED.linear): void {
    const at = this.shapes >>> 2;
    const h = this.i32();
    h[at] = 1;
    h[at + 1] = m;
    h[at + 2] = k;
    h[at + 3] = 1;
    h[at + 4] = k;
    h[at + 5] = n;
    this.fusedMatMul(aId, this.shapes, 3, bId, this.shapes + 12, 3, 0, 0, activation, biasId, 0, 0, outId);
  }

  private nextId(): number {
    return this.backend.dataIdNextNumber++;
  }
}

/**
 * A float32 tensor's values on the wasm heap, to be rewritten in place: `values` views its memory
 * (valid until the next allocation on the heap), `commit` gives it a new tensor id afterwards so
 * XNNPACK drops what it packed from the old values (tfjs's kernels look the id up on every call).
 * Undefined off wasm, for other dtypes, and where another tensor shares the memory (a clone), which
 * must keep the old values.
 */
export function inPlace(t: tf.Tensor): { values: Float32Array; commit(): void } | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike & { refCount(dataId: object): number };
  const data = backend.dataIdMap.get(t.dataId);
  if (!data || backend.refCount(t.dataId) !== 1) return undefined;
  return {
    values: new Float32Array(backend.wasm.HEAPU8.buffer, data.memoryOffset, t.size),
    commit: () => {
      data.id = renewId(backend, data.id, t.size, data.memoryOffset);
    },
  };
}

/** The same memory under a new tensor id (the old id's XNNPACK packed copies are dropped with it). */
function renewId(backend: WasmBackendLike, id: number, size: number, offset: number): number {
  backend.wasm.tfjs.disposeData(id);
  const next = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(next, size, offset);
  return next;
}
