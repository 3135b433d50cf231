/**
 * Synchronous collectives between the worker threads of one data-parallel training: a barrier,
 * a weighted mean (the gradient all-reduce) and a broadcast, over one growable SharedArrayBuffer
 * that the coordinating thread creates and hands to every replica.
 *
 * Synchronous on purpose: tfjs's optimizer step (`applyGradients`) is synchronous, so the
 * exchange happens inside it with Atomics.wait (allowed in worker threads, not on the main one).
 *
 * Every replica sums the slots in rank order in float64, so each gets the bit-identical result
 * and the optimizer step that follows is the same everywhere: the weights stay identical.
 *
 * Layout: an Int32 control block (barrier counter and generation, abort and done flags, and per
 * barrier bank each rank's exchange kind and length, checked after the barrier so replicas that
 * took different paths fail with a clear error instead of mixing unrelated data), then two banks
 * of `count` float64 slots. Consecutive exchanges alternate banks, so a replica that is one
 * exchange ahead never writes where a slower one is still reading.
 */
import { UserError } from '../core/errors.ts';

const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;
const DONE = 3;
const TAGS = 4;
/**
 * Checks of the generation a replica spins through before it sleeps at a barrier (a few
 * microseconds): replicas with the same work arrive close together, and waking a thread from
 * Atomics.wait took about 31 µs per barrier here against 7 µs with the spin first (two threads,
 * 200 µs of work between barriers).
 */
const SPIN_CHECKS = 2000;
/** Most bytes the exchange area may grow to (virtual: only what is used is committed). */
const MAX_BYTES = 2 ** 31;

const controlInts = (count: number) => TAGS + 2 * 2 * count;
const dataOffset = (count: number) => Math.ceil((controlInts(count) * 4) / 8) * 8;

/** The shared memory of a replica group of `count` threads, created by the coordinator. */
export function createGroupBuffer(count: number): SharedArrayBuffer {
  const Growable = SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  return new Growable(dataOffset(count), { maxByteLength: MAX_BYTES });
}

/** ES2024's growable SharedArrayBuffer (Node 20 has it; the TypeScript lib here predates it). */
type Growable = SharedArrayBuffer & { grow(bytes: number): void };

/** Raised in a replica when the coordinator (or a failing peer) aborted the group. */
export class ReplicaAborted extends Error {
  constructor() {
    super('another replica of this training failed; this one stopped');
  }
}

/** Marks the group aborted and wakes every waiting replica (coordinator side, or a failing replica). */
export function abortGroup(buffer: SharedArrayBuffer): void {
  const control = new Int32Array(buffer, 0, 4);
  Atomics.store(control, ABORT, 1);
  Atomics.notify(control, GENERATION);
}

/** Kinds of exchange, checked across replicas: all must take part in the same one. */
export const EXCHANGE = { weights: 1, gradients: 2, trainMetrics: 3, evalMetrics: 4, state: 5, decision: 6, resize: 7, weightShares: 8, optimizerShares: 9 } as const;
type ExchangeKind = (typeof EXCHANGE)[keyof typeof EXCHANGE];
const KIND_NAMES = Object.fromEntries(Object.entries(EXCHANGE).map(([k, v]) => [v, k]));

export class ReplicaGroup {
  private readonly control: Int32Array;
  private barriers = 0;
  /** float64 values per slot (a weight then the values); the same in every replica, grown together. */
  private stride = 0;
  /** Milliseconds spent waiting for peers at barriers (a step's straggler time). */
  waitMs = 0;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly rank: number,
    readonly count: number,
  ) {
    this.control = new Int32Array(buffer, 0, controlInts(count));
  }

  /** Tells peers still waiting that this replica has left (they fail instead of waiting for ever). */
  leave(): void {
    Atomics.store(this.control, DONE, 1);
    Atomics.notify(this.control, GENERATION);
  }

  abort(): void {
    abortGroup(this.buffer);
  }

  /** Waits until every replica arrived at the same exchange; returns the bank it used. */
  private barrier(kind: ExchangeKind, length: number): number {
    const c = this.control;
    const bank = this.barriers++ & 1;
    const tag = TAGS + 2 * (bank * this.count + this.rank);
    Atomics.store(c, tag, kind);
    Atomics.store(c, tag + 1, length);
    const generation = Atomics.load(c, GENERATION);
    const t0 = performance.now();
    if (Atomics.add(c, ARRIVED, 1) === this.count - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
    } else {
      for (let i = 0; i < SPIN_CHECKS && Atomics.load(c, GENERATION) === generation; i++);
      while (Atomics.load(c, GENERATION) === generation) {
        if (Atomics.load(c, ABORT)) throw new ReplicaAborted();
        if (Atomics.load(c, DONE)) {
          throw new UserError(`Data-parallel training: another replica finished while replica ${this.rank} waited at a ${KIND_NAMES[kind]} exchange; every replica must take the same training steps (run_fn must not branch on the replica or stop on its own)`);
        }
        Atomics.wait(c, GENERATION, generation, 200);
      }
    }
    this.waitMs += performance.now() - t0;
    for (let r = 0; r < this.count; r++) {
      const at = TAGS + 2 * (bank * this.count + r);
      const [k, n] = [Atomics.load(c, at), Atomics.load(c, at + 1)];
      if (k !== kind || n !== length) {
        throw new UserError(`Data-parallel training: replica ${this.rank} is at a ${KIND_NAMES[kind]} exchange of ${length} values but replica ${r} at a ${KIND_NAMES[k] ?? k} exchange of ${n}; every replica must build the same model and take the same steps`);
      }
    }
    return bank;
  }

  /** Grows every slot to hold `length` values; all replicas decide alike, after a barrier, so no one is still reading. */
  private ensureStride(length: number): void {
    if (length + 1 <= this.stride) return;
    this.barrier(EXCHANGE.resize, length);
    this.stride = length + 1;
    const need = dataOffset(this.count) + 2 * this.count * this.stride * 8;
    if (need > MAX_BYTES) throw new UserError(`Data-parallel training: ${length} values per exchange do not fit the ${MAX_BYTES} bytes of shared memory`);
    try {
      if (this.buffer.byteLength < need) (this.buffer as Growable).grow(need);
    } catch (e) {
      if (this.buffer.byteLength < need) throw e; // a peer grew it first: fine; otherwise a real failure
    }
  }

  private slot(bank: number, rank: number): Float64Array {
    return new Float64Array(this.buffer, dataOffset(this.count) + (bank * this.count + rank) * this.stride * 8, this.stride);
  }

  /**
   * Σ_r weight_r · values_r / Σ_r weight_r over the replicas (weights: rows each one saw), summed
   * in rank order so every replica gets the same numbers. All weights 0 gives zeros.
   */
  weightedMean(kind: ExchangeKind, values: ArrayLike<number>, weight: number): Float64Array {
    const [mean] = this.weightedMeanParts(kind, [values], weight, [new Float64Array(values.length)]);
    return mean;
  }

  /**
   * The weighted mean of several arrays at once, as one exchange: each part goes straight into
   * this replica's slot, and each part's mean straight into its `out` array (a Float32Array
   * rounds the float64 sum once, at the end), so gradients are copied once each way.
   */
  weightedMeanParts<T extends Float32Array | Float64Array>(kind: ExchangeKind, parts: readonly ArrayLike<number>[], weight: number, out: T[]): T[] {
    const { slots, weights, total } = this.postParts(kind, parts, weight);
    let at = 1;
    for (const o of out) {
      for (let i = 0; i < o.length; i++, at++) {
        let sum = 0;
        for (let k = 0; k < slots.length; k++) sum += weights[k] * slots[k][at];
        o[i] = total > 0 ? sum / total : 0;
      }
    }
    return out;
  }

  /**
   * Writes `weight` and the parts end to end into this replica's slot, waits for every replica,
   * and returns the slots of the ranks that saw rows (ranks with weight 0 add nothing), in rank
   * order, with their weights and the total: what every replica sums alike, in float64.
   */
  private postParts(kind: ExchangeKind, parts: readonly ArrayLike<number>[], weight: number): { slots: Float64Array[]; weights: number[]; total: number } {
    const n = parts.reduce((k, p) => k + p.length, 0);
    this.ensureStride(n);
    const bank = this.nextBank();
    const own = this.slot(bank, this.rank);
    own[0] = weight;
    let at = 1;
    for (const p of parts) {
      own.set(p, at);
      at += p.length;
    }
    this.barrier(kind, n);
    const slots: Float64Array[] = [];
    const weights: number[] = [];
    let total = 0;
    for (let r = 0; r < this.count; r++) {
      const s = this.slot(bank, r);
      if (s[0] === 0) continue;
      slots.push(s);
      weights.push(s[0]);
      total += s[0];
    }
    return { slots, weights, total };
  }

  /**
   * weightedMeanParts for this replica's share only: the flat positions [from, to) of the parts
   * laid end to end (the other positions of `out` are not written). The sums are the same as
   * weightedMeanParts's, bit for bit. With gatherShares after it, each replica does 1/count of
   * the averaging and of whatever it computes from the means (a sharded optimizer step).
   */
  weightedMeanShare(kind: ExchangeKind, parts: readonly Float32Array[], weight: number, out: Float32Array[], from: number, to: number): void {
    const { slots, weights, total } = this.postParts(kind, parts, weight);
    let base = 0;
    for (const o of out) {
      const lo = Math.max(from - base, 0);
      const hi = Math.min(to - base, o.length);
      if (slots.length === 2) meanOfTwo(o, lo, hi, base + 1, slots[0], weights[0], slots[1], weights[1], total);
      else for (let i = lo; i < hi; i++) {
        let sum = 0;
        for (let k = 0; k < slots.length; k++) sum += weights[k] * slots[k][base + 1 + i];
        o[i] = total > 0 ? sum / total : 0;
      }
      base += o.length;
    }
  }

  /**
   * Every replica's share of `parts` (flat positions `shares[r]` of the parts end to end, as
   * weightedMeanShare's), copied from its owner into every replica's arrays. Exact: float32
   * values pass through the float64 slots unchanged.
   */
  gatherShares(kind: ExchangeKind, parts: Float32Array[], shares: readonly (readonly [number, number])[]): void {
    const n = parts.reduce((k, p) => k + p.length, 0);
    this.ensureStride(n);
    const bank = this.nextBank();
    const [from, to] = shares[this.rank];
    copyRange(parts, from, to, this.slot(bank, this.rank), 'out');
    this.barrier(kind, n);
    for (let r = 0; r < this.count; r++) {
      if (r === this.rank) continue;
      copyRange(parts, shares[r][0], shares[r][1], this.slot(bank, r), 'in');
    }
  }

  /** Rank 0's values, in every replica (`values` is read on rank 0 only). */
  broadcast(kind: ExchangeKind, values: ArrayLike<number>): Float64Array {
    const n = values.length;
    this.ensureStride(n);
    const bank = this.nextBank();
    if (this.rank === 0) this.slot(bank, 0).set(values, 1);
    this.barrier(kind, n);
    return this.slot(bank, 0).slice(1, n + 1);
  }

  /** The bank the next barrier will use (the data goes there before it). */
  private nextBank(): number {
    return this.barriers & 1;
  }
}

/** o[i] = (w0·a[at+i] + w1·b[at+i]) / total for i in [lo, hi): weightedMeanParts's sum for two replicas, in rank order. */
function meanOfTwo(o: Float32Array, lo: number, hi: number, at: number, a: Float64Array, w0: number, b: Float64Array, w1: number, total: number): void {
  for (let i = lo; i < hi; i++) {
    let sum = 0;
    sum += w0 * a[at + i];
    sum += w1 * b[at + i];
    o[i] = total > 0 ? sum / total : 0;
  }
}

/**
 * Flat positions [from, to) of `parts` end to end, out to a slot (after its weight word) or in from
 * it: typed-array copies that convert as they go (float32 → float64 is exact, and back gives the
 * same float32), with no element loop for V8 to optimise again in every replica's isolate.
 */
function copyRange(parts: Float32Array[], from: number, to: number, slot: Float64Array, direction: 'out' | 'in'): void {
  let base = 0;
  for (const p of parts) {
    const lo = Math.max(from - base, 0);
    const hi = Math.min(to - base, p.length);
    if (lo < hi) {
      if (direction === 'out') slot.set(p.subarray(lo, hi), base + 1 + lo);
      else p.set(slot.subarray(base + 1 + lo, base + 1 + hi), lo);
    }
    base += p.length;
  }
}
