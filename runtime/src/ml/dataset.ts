/**
 * Batched training/eval data streamed from Arrow shards of transformed examples.
 *
 * Only one shard's columns, a shuffle buffer and the prefetched batches are in memory at a time;
 * the buffer and the prefetch are bounded in bytes (shuffleBufferBytes, prefetchBytes), so a wide
 * model's rows cannot make them grow. Shuffling is two-level,
 * as with tf.data on TFRecord shards: the shard order is permuted per epoch, and rows pass through
 * a reservoir-style buffer (each incoming row replaces a randomly drawn buffered row, which goes
 * into the batch). Batches are host-side typed arrays (`batches`) or tfjs tensors (`makeDataset`).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Data, DataType, tableFromIPC } from 'apache-arrow';
import type * as tfTypes from '@tensorflow/tfjs';
import { UserError } from '../core/errors.ts';
import type { TensorBatch } from './api.ts';
import { mulberry32 } from '../util/prng.ts';

export interface DatasetFeature {
  name: string;
  dtype: 'float32' | 'int32';
}

export interface DatasetOptions {
  /** Arrow IPC shard files of one split. */
  shards: string[];
  /** Model inputs, in the model's input order. */
  features: DatasetFeature[];
  label: string;
  batchSize: number;
  /** Shuffle shard order and rows (training). Default false (eval: file order). */
  shuffle?: boolean;
  /** Rows held for shuffling, at most. Default 10 000. */
  shuffleBuffer?: number;
  /**
   * Bytes the shuffle buffer may hold (features and label as stored: 4 bytes each per row); the
   * buffer holds min(shuffleBuffer, shuffleBufferBytes / row bytes) rows. Default 16 MiB.
   */
  shuffleBufferBytes?: number;
  /**
   * Bytes of ready batches `makeDataset` queues ahead of the model (tf.data prefetch). Default 0:
   * a batch is made when the model asks for it, so nothing waits in memory, and a consumer that
   * stops an epoch early (fitDataset's batchesPerEpoch) leaves no queued tensors behind.
   */
  prefetchBytes?: number;
  seed?: number;
  /**
   * Batches per pass over the dataset (per `fitDataset` epoch). Default: one full pass over the
   * data. When larger than one pass, the data repeats (reshuffled) until `steps` batches are out.
   */
  steps?: number;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropRemainder?: boolean;
  /**
   * Data-parallel training: this replica's share of every batch, the rows at positions
   * index, index + count, index + 2·count… of the global batch. Every replica draws the same
   * batches (same seed), so the shares of one step make up exactly the global batch, and each
   * copies (and makes tensors of) only its own rows. A batch with fewer rows than replicas (at
   * most the last one of a pass) is skipped by all of them alike.
   */
  shard?: { index: number; count: number };
  /** Called with the rows of each batch `makeDataset` hands out (after sharding), as it hands it out. */
  onBatch?: (rows: number) => void;
  /** Runs the making of each batch (reading, shuffling, tensors): a profiler's hook (step-profile.ts). */
  measure?: <T>(make: () => T) => T;
}

export interface HostBatch {
  size: number;
  features: Record<string, Float32Array | Int32Array>;
  /** Labels as float32 (binary 0/1, class ids, or regression targets). */
  label: Float32Array;
}

export const DEFAULT_SHUFFLE_BUFFER_BYTES = 16 * 1024 * 1024;

/** Bytes one row takes in the shuffle buffer and in a batch: every feature and the label are 4-byte values. */
export function rowBytes(features: DatasetFeature[]): number {
  return 4 * (features.length + 1);
}

/** Rows the shuffle buffer holds: the row limit, further bounded by the byte limit (at least 1). */
export function shuffleCapacity(o: Pick<DatasetOptions, 'features' | 'shuffleBuffer' | 'shuffleBufferBytes'>): number {
  const byBytes = Math.floor((o.shuffleBufferBytes ?? DEFAULT_SHUFFLE_BUFFER_BYTES) / rowBytes(o.features));
  return Math.max(1, Math.min(o.shuffleBuffer ?? 10_000, byBytes));
}

/** Batches queued ahead of the model: as many whole batches as fit in prefetchBytes (0: none). */
export function prefetchBatches(o: Pick<DatasetOptions, 'features' | 'batchSize' | 'prefetchBytes'>): number {
  return Math.floor((o.prefetchBytes ?? 0) / (rowBytes(o.features) * o.batchSize));
}

/**
 * Fisher–Yates, seeded, so a training run's shuffling is reproducible. A plain swap: it runs once
 * per pass over the whole shuffle buffer, often before V8 has optimized it in a new isolate, where
 * a destructuring swap allocated two arrays a step. Int32Arrays only: shuffled with plain arrays
 * too (the shard order), V8 optimised it four times per isolate, deoptimising on each switch.
 */
function shuffleInPlace(a: Int32Array, rand: () => number): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** One shard's columns in the model's dtypes, and the same values' bits as Int32Arrays. */
interface ShardColumns {
  rows: number;
  features: (Float32Array | Int32Array)[];
  label: Float32Array;
  /** The features' then the label's values as raw 32-bit words: rows move through the shuffle buffer bit for bit. */
  bits: Int32Array[];
}

/** The 32-bit words of a float32 or int32 column (the same memory). */
const bitsOf = (col: Float32Array | Int32Array): Int32Array => (col instanceof Int32Array ? col : new Int32Array(col.buffer, col.byteOffset, col.length));

/**
 * Reads shard files into one buffer reused from shard to shard and pass to pass. A fresh buffer per
 * file (readFileSync) cost about 2 ms per 600 KB shard — page faults on new memory, and the
 * external-memory collections it triggers — against 0.04 ms into memory already mapped; every
 * replica reads every shard each epoch. It holds the largest shard read so far, which the
 * dataset held anyway while reading it.
 */
class ShardReader {
  private bytes = Buffer.alloc(0);

  /** The file's bytes: valid until the next read. */
  read(file: string): Buffer {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      // Its own ArrayBuffer (not the pool's): Arrow's column arrays are then views of it, aligned.
      if (size > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(size);
      let n = 0;
      for (let got = 1; n < size && got > 0; n += got) got = readSync(fd, this.bytes, n, size - n, n);
      return this.bytes.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }
}

function columnOf(dtype: DatasetFeature['dtype'], rows: number, chunks: readonly Data[], file: string, name: string): Float32Array | Int32Array {
  for (const d of chunks) {
    if (d.nullCount > 0) {
      throw new UserError(`Column "${name}" in ${file} has ${d.nullCount} missing value(s); transformed examples must be complete (fill_in_missing)`, {
        file,
        field: name,
      });
    }
  }
  const Type = dtype === 'int32' ? Int32Array : Float32Array;
  // Stored in the model's dtype, in one chunk (as the Transform writes it): the column is a view of the file's bytes.
  if (chunks.length === 1 && chunks[0].values instanceof Type) return chunks[0].values.subarray(chunks[0].offset, chunks[0].offset + chunks[0].length);
  const out = new Type(rows);
  let at = 0;
  for (const d of chunks) {
    const n = d.length;
    // Offsets count elements of the column's own type; a typed-array `set` converts types.
    out.set((d.values as Float64Array).subarray(d.offset, d.offset + n), at);
    at += n;
  }
  return out;
}

/**
 * A shard's feature and label columns. With a reader, columns already in the model's dtype are
 * views of the reader's buffer: valid until its next read (each row is copied out before that).
 */
export function readShardColumns(file: string, features: DatasetFeature[], label: string, reader = new ShardReader()): ShardColumns {
  let table;
  try {
    table = tableFromIPC(reader.read(file));
  } catch (err) {
    throw new UserError(`Cannot read Arrow shard ${file}: ${(err as Error).message}`, { file });
  }
  const rows = table.numRows;
  const column = (name: string, role: string) => {
    const idx = table.schema.fields.findIndex((f) => f.name === name);
    if (idx < 0) {
      throw new UserError(`${role} "${name}" is not a column of ${file} (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, {
        file,
        field: name,
      });
    }
    const field = table.schema.fields[idx];
    if (!(DataType.isFloat(field.type) || (DataType.isInt(field.type) && field.type.bitWidth <= 32))) {
      throw new UserError(`${role} "${name}" in ${file} has Arrow type ${String(field.type)}; expected a numeric (transformed) column`, { file, field: name });
    }
    return table.getChildAt(idx)!.data;
  };
  const cols = features.map((f) => columnOf(f.dtype, rows, column(f.name, 'Feature'), file, f.name));
  const labelCol = columnOf('float32', rows, column(label, 'Label'), file, label) as Float32Array;
  return { rows, features: cols, label: labelCol, bits: [...cols, labelCol].map(bitsOf) };
}

/**
 * Rows of one global batch; with a shard, only this replica's rows are copied (dataset `shard`):
 * the rows at positions index, index + count… of the global batch. Values move as 32-bit words
 * (features then label, `bits`) into one fresh buffer per batch, a column after another, whose
 * column views the batch hands out (tensors may keep them: the cpu backend does).
 */
class BatchBuilder {
  /** Rows of the global batch so far. */
  size = 0;
  /** Rows this replica keeps. */
  private kept = 0;
  /** This replica's rows a batch holds at most: the stride of the columns in `out`. */
  private readonly own: number;
  private readonly width: number;
  private out: Int32Array;
  private readonly index: number;
  private readonly count: number;

  constructor(
    private readonly spec: DatasetFeature[],
    readonly capacity: number,
    shard?: { index: number; count: number },
    /** Hand out views of the same buffer every batch (the consumer copies each before the next). */
    private readonly reuse = false,
  ) {
    this.index = shard?.index ?? 0;
    this.count = shard?.count ?? 1;
    this.own = Math.ceil(capacity / this.count);
    this.width = spec.length + 1;
    this.out = new Int32Array(this.width * this.own);
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** Global rows the batch still takes. */
  get room(): number {
    return this.capacity - this.size;
  }

  /** The first of the next global rows that is this replica's (0 ≤ first < count). */
  private first(): number {
    return (((this.index - this.size) % this.count) + this.count) % this.count;
  }

  /** The next `m` global rows are rows `from`… of `src`: this replica copies its own. */
  appendRun(src: Int32Array[], from: number, m: number): void {
    const { out, own, count } = this;
    const first = this.first();
    for (let k = 0; k < src.length; k++) {
      const col = src[k];
      let at = k * own + this.kept;
      for (let i = first; i < m; i += count) out[at++] = col[from + i];
    }
    this.advance(m, first);
  }

  /** The next global row is the shuffle buffer's row at `base` (its words side by side). */
  pushRow(rows: Int32Array, base: number): void {
    if (this.size++ % this.count !== this.index) return;
    const { out, own, width } = this;
    const at = this.kept++;
    for (let k = 0; k < width; k++) out[k * own + at] = rows[base + k];
  }

  private advance(m: number, first: number): void {
    if (m > first) this.kept += Math.ceil((m - first) / this.count);
    this.size += m;
  }

  /**
   * This replica's rows of the batch so far (views of a buffer no later batch writes, unless the
   * builder reuses it), or
   * undefined when the batch has fewer rows than replicas; the builder is reset either way.
   */
  take(): HostBatch | undefined {
    const n = this.kept;
    const skip = this.size < this.count;
    this.size = this.kept = 0;
    if (skip) return undefined;
    const { buffer } = this.out;
    const stride = this.own * 4;
    const features: HostBatch['features'] = {};
    for (let k = 0; k < this.spec.length; k++) {
      const f = this.spec[k];
      features[f.name] = f.dtype === 'int32' ? new Int32Array(buffer, k * stride, n) : new Float32Array(buffer, k * stride, n);
    }
    const label = new Float32Array(buffer, this.spec.length * stride, n);
    if (!this.reuse) this.out = new Int32Array(this.width * this.own);
    return { size: n, features, label };
  }
}

/**
 * Fixed-capacity store of rows waiting to be drawn at random, row by row: a row's words side by
 * side (64 bytes, one cache line, for 15 features), so a draw touches one line where a column
 * per feature touched one line each — in a training thread, whose train step has evicted the
 * buffer from the caches, those misses were most of the input's time.
 */
class ShuffleBuffer {
  size = 0;
  readonly rows: Int32Array;

  constructor(readonly width: number, readonly capacity: number) {
    this.rows = new Int32Array(width * capacity);
  }

  put(slot: number, src: Int32Array[], row: number): void {
    const { rows, width } = this;
    const base = slot * width;
    for (let k = 0; k < width; k++) rows[base + k] = src[k][row];
  }
}

/**
 * What a pass allocates once and the next pass of the same dataset reuses: the shard reader's
 * buffer and the shuffle buffer. One pass at a time uses it.
 */
export class PassMemory {
  readonly reader = new ShardReader();
  private shuffle?: ShuffleBuffer;

  /** The shuffle buffer, emptied. */
  shuffleBuffer(width: number, capacity: number): ShuffleBuffer {
    if (this.shuffle?.capacity !== capacity || this.shuffle.width !== width) this.shuffle = new ShuffleBuffer(width, capacity);
    this.shuffle.size = 0;
    return this.shuffle;
  }
}

/*
 * The row loops live in plain functions that stop when the batch is full, and the generator below
 * only yields: V8 optimizes the hot code again in each new isolate (each training worker, each
 * replica), and the generator with the loops inside was optimized 3–4 times per training with
 * what it calls inlined, 1.6 s of compiler threads' wall time for 3 isolates against 0.3 s for
 * these loops (`--trace-opt`, same load). Every replica passes every row through its shuffle
 * buffer (the draws decide later which replica a row goes to) but copies into its batch only its own.
 */

/** Rows `from`… of a shard into the batch in file order; returns the next row (the batch may be full). */
function fillInOrder(batch: BatchBuilder, s: ShardColumns, from: number): number {
  const m = Math.min(batch.room, s.rows - from);
  batch.appendRun(s.bits, from, m);
  return from + m;
}

/**
 * Rows `from`… of a shard through the shuffle buffer: each fills a free slot, or, once the buffer
 * is full, takes the place of a random row, which goes into the batch. Returns the next row.
 */
function fillShuffled(batch: BatchBuilder, buf: ShuffleBuffer, s: ShardColumns, from: number, rand: () => number): number {
  let r = from;
  const { capacity, width, rows } = buf;
  while (r < s.rows) {
    if (buf.size < capacity) {
      buf.put(buf.size++, s.bits, r++);
      continue;
    }
    const j = Math.floor(rand() * capacity);
    batch.pushRow(rows, j * width);
    buf.put(j, s.bits, r++);
    if (batch.full) break;
  }
  return r;
}

/** Rows left in the buffer, in `order` from position `from`; returns the next position. */
function drainInto(batch: BatchBuilder, buf: ShuffleBuffer, order: Int32Array, from: number): number {
  let i = from;
  while (i < order.length) {
    batch.pushRow(buf.rows, order[i++] * buf.width);
    if (batch.full) break;
  }
  return i;
}

/** One pass over the shards (shuffled or in order), in runs of rows into batches. */
function* onePass(o: DatasetOptions, rand: () => number, memory: PassMemory, reuseBatches: boolean): Generator<HostBatch> {
  const batch = new BatchBuilder(o.features, o.batchSize, o.shard, reuseBatches);
  /** Rows of the global batches so far (the skipped ones too). */
  let rows = 0;
  // Every replica draws the same rows: only the copies of the others' rows are skipped.
  const take = function* () {
    rows += batch.size;
    const b = batch.take();
    if (b) yield b;
  };
  const read = (file: string) => readShardColumns(file, o.features, o.label, memory.reader);
  const shards = o.shuffle ? Array.from(shuffleInPlace(Int32Array.from(o.shards, (_, i) => i), rand), (i) => o.shards[i]) : o.shards;
  if (!o.shuffle) {
    for (const file of shards) {
      const s = read(file);
      for (let r = 0; r < s.rows; ) {
        r = fillInOrder(batch, s, r);
        if (batch.full) yield* take();
      }
    }
  } else {
    const buf = memory.shuffleBuffer(o.features.length + 1, shuffleCapacity(o));
    for (const file of shards) {
      const s = read(file);
      for (let r = 0; r < s.rows; ) {
        r = fillShuffled(batch, buf, s, r, rand);
        if (batch.full) yield* take();
      }
    }
    // Drain what is left in random order.
    const order = new Int32Array(buf.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    shuffleInPlace(order, rand);
    for (let i = 0; i < order.length; ) {
      i = drainInto(batch, buf, order, i);
      if (batch.full) yield* take();
    }
  }
  if (batch.size > 0 && !o.dropRemainder) yield* take();
  // Fewer rows than replicas: every batch was skipped, and tfjs's fit and evaluate fail on a
  // dataset without batches far from the cause.
  if (o.shard && rows > 0 && rows < o.shard.count) {
    const folder = dirname(o.shards[0]);
    throw new UserError(
      `Data-parallel training: ${folder} has ${rows} row(s), fewer than the ${o.shard.count} workers that share each batch, so no worker gets a batch of it; use at most ${rows} worker(s)`,
      { file: folder, field: 'workers' },
    );
  }
}

/**
 * Host-side batches for one iteration (one epoch): a full pass, or exactly `steps` batches
 * (repeating the data if needed). Each call to `batches` restarts from the beginning with a new
 * shuffle drawn from `rand`. `memory` is the buffers its passes reuse (not shared with a pass
 * running at the same time). With `reuseBatches`, every batch is written into the same arrays: a
 * batch is valid only until the next is asked for.
 */
export function* batches(o: DatasetOptions, rand: () => number = mulberry32(o.seed ?? 0), memory = new PassMemory(), reuseBatches = false): Generator<HostBatch> {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new UserError(`batch_size must be a positive integer, got ${o.batchSize}`, { field: 'batch_size' });
  if (o.shards.length === 0) throw new UserError('No Arrow shards to read: the split is empty');
  if (o.steps === undefined) {
    yield* onePass(o, rand, memory, reuseBatches);
    return;
  }
  let out = 0;
  while (out < o.steps) {
    let any = false;
    for (const b of onePass(o, rand, memory, reuseBatches)) {
      any = true;
      yield b;
      if (++out >= o.steps) return;
    }
    if (!any) return; // empty data: avoid spinning forever
  }
}


/** A batch as tensors: each feature `[n, 1]` in its dtype, the label `[n, 1]` float32. */
export function toTensors(tf: typeof tfTypes, b: HostBatch): TensorBatch {
  const xs: Record<string, tfTypes.Tensor> = {};
  for (const [name, col] of Object.entries(b.features)) {
    xs[name] = tf.tensor2d(col, [b.size, 1], col instanceof Int32Array ? 'int32' : 'float32');
  }
  return { xs, ys: tf.tensor2d(b.label, [b.size, 1], 'float32') };
}

/**
 * A tf.data.Dataset of `{xs, ys}` batches for `model.fitDataset`. Every iteration (epoch) is a new
 * pass with a new shuffle; the random stream continues across epochs, so runs are reproducible
 * from `seed`.
 */
export function makeDataset(tf: typeof tfTypes, o: DatasetOptions): tfTypes.data.Dataset<TensorBatch> {
  const rand = mulberry32(o.seed ?? 0);
  const { onBatch, measure = (make) => make() } = o;
  // The buffers of the last finished pass, for the next (a pass left unfinished keeps its own).
  let idle: PassMemory | undefined;
  /** One pass (epoch): each batch made by `make` under `measure`, and counted as it is handed out. */
  const pass = function* <T>(make: (b: HostBatch) => T, reuseBatches: boolean): Generator<T> {
    const memory = idle ?? new PassMemory();
    idle = undefined;
    const source = batches(o, rand, memory, reuseBatches);
    for (;;) {
      const next = measure(() => {
        const b = source.next();
        return b.done ? undefined : { size: b.value.size, made: make(b.value) };
      });
      if (!next) break;
      onBatch?.(next.size);
      yield next.made;
    }
    idle = memory;
  };
  // The same passes as host arrays, for a training loop that needs no tensors (compiled-step/fit-loop.ts).
  // It copies each batch into the model's memory before asking for the next, so one batch's arrays serve them all.
  const hostPass = () => pass((b) => b, true);
  // Tensors may keep their arrays (the cpu backend's do): a fresh buffer per batch.
  const dataset = tf.data.generator(() => pass((b) => toTensors(tf, b), false));
  const ahead = prefetchBatches(o);
  // Queued batches would be counted before the model trains on them: a sharded dataset's counts
  // weigh its gradients, so it hands batches out one at a time.
  const made = ahead > 0 && !o.shard ? dataset.prefetch(ahead) : dataset;
  hostPasses.set(made, { pass: hostPass, features: o.features });
  return made;
}

/** One pass of a dataset as host arrays, and its columns (the model's inputs by name and dtype). */
export interface HostPasses {
  /** A batch's arrays are valid until the next batch is asked for: the next one is written into them. */
  pass: () => Generator<HostBatch>;
  features: DatasetFeature[];
}

const hostPasses = new WeakMap<object, HostPasses>();

/**
 * For a dataset makeDataset made: one pass (epoch) of its batches as host arrays, from the same
 * random stream, counted and timed as its tensor batches are. Undefined for any other dataset.
 */
export function hostPassOf(dataset: object): HostPasses | undefined {
  return hostPasses.get(dataset);
}
