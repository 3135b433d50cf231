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
import { readFileSync } from 'node:fs';
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

/** One shard's columns, converted to the model's dtypes. */
interface ShardColumns {
  rows: number;
  features: (Float32Array | Int32Array)[];
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

/** Seeded, so a training run's shuffling is reproducible. */
function shuffleInPlace<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function columnInto<T extends Float32Array | Int32Array>(out: T, chunks: readonly Data[], file: string, name: string): T {
  let at = 0;
  for (const d of chunks) {
    if (d.nullCount > 0) {
      throw new UserError(`Column "${name}" in ${file} has ${d.nullCount} missing value(s); transformed examples must be complete (fill_in_missing)`, {
        file,
        field: name,
      });
    }
    const n = d.length;
    // Offsets count elements of the column's own type; a typed-array `set` converts types.
    out.set((d.values as Float64Array).subarray(d.offset, d.offset + n), at);
    at += n;
  }
  return out;
}

export function readShardColumns(file: string, features: DatasetFeature[], label: string): ShardColumns {
  let table;
  try {
    table = tableFromIPC(readFileSync(file));
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
  return {
    rows,
    features: features.map((f) =>
      columnInto(f.dtype === 'int32' ? new Int32Array(rows) : new Float32Array(rows), column(f.name, 'Feature'), file, f.name),
    ),
    label: columnInto(new Float32Array(rows), column(label, 'Label'), file, label),
  };
}

/** Rows of one global batch; with a shard, only this replica's rows are copied (dataset `shard`). */
class BatchBuilder {
  /** Rows of the global batch so far. */
  size = 0;
  /** Rows this replica keeps. */
  private kept = 0;
  private features: (Float32Array | Int32Array)[];
  private label: Float32Array;
  private readonly index: number;
  private readonly count: number;

  constructor(
    private readonly spec: DatasetFeature[],
    private readonly capacity: number,
    shard?: { index: number; count: number },
  ) {
    this.index = shard?.index ?? 0;
    this.count = shard?.count ?? 1;
    const own = Math.ceil(capacity / this.count);
    this.features = spec.map((f) => (f.dtype === 'int32' ? new Int32Array(own) : new Float32Array(own)));
    this.label = new Float32Array(own);
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  push(src: (Float32Array | Int32Array)[], label: Float32Array, row: number): void {
    if (this.size++ % this.count !== this.index) return;
    const at = this.kept++;
    for (let k = 0; k < src.length; k++) this.features[k][at] = src[k][row];
    this.label[at] = label[row];
  }

  /**
   * This replica's rows of the batch so far (fresh arrays: tensors may keep them), or undefined
   * when the batch has fewer rows than replicas; the builder is reset either way.
   */
  take(): HostBatch | undefined {
    const n = this.kept;
    const skip = this.size < this.count;
    this.size = this.kept = 0;
    if (skip) return undefined;
    return {
      size: n,
      features: Object.fromEntries(this.spec.map((f, k) => [f.name, this.features[k].slice(0, n)])),
      label: this.label.slice(0, n),
    };
  }
}

/** Fixed-capacity column store of rows waiting to be drawn at random. */
class ShuffleBuffer {
  size = 0;
  readonly features: (Float32Array | Int32Array)[];
  readonly label: Float32Array;

  constructor(spec: DatasetFeature[], readonly capacity: number) {
    this.features = spec.map((f) => (f.dtype === 'int32' ? new Int32Array(capacity) : new Float32Array(capacity)));
    this.label = new Float32Array(capacity);
  }

  put(slot: number, src: (Float32Array | Int32Array)[], label: Float32Array, row: number): void {
    for (let k = 0; k < src.length; k++) this.features[k][slot] = src[k][row];
    this.label[slot] = label[row];
  }
}

/*
 * The row loops live in plain functions that stop when the batch is full, and the generator below
 * only yields: V8 optimizes the hot code again in each new isolate (each training worker, each
 * replica), and the generator with the loops inside was optimized 3–4 times per training with
 * what it calls inlined, 1.6 s of compiler threads' wall time for 3 isolates against 0.3 s for
 * these loops (`--trace-opt`, same load).
 */

/** Rows `from`… of a shard into the batch in file order; returns the next row (the batch may be full). */
function fillInOrder(batch: BatchBuilder, s: ShardColumns, from: number): number {
  let r = from;
  while (r < s.rows) {
    batch.push(s.features, s.label, r++);
    if (batch.full) break;
  }
  return r;
}

/**
 * Rows `from`… of a shard through the shuffle buffer: each fills a free slot, or, once the buffer
 * is full, takes the place of a random row, which goes into the batch. Returns the next row.
 */
function fillShuffled(batch: BatchBuilder, buf: ShuffleBuffer, s: ShardColumns, from: number, rand: () => number): number {
  let r = from;
  while (r < s.rows) {
    if (buf.size < buf.capacity) {
      buf.put(buf.size++, s.features, s.label, r++);
      continue;
    }
    const j = Math.floor(rand() * buf.capacity);
    batch.push(buf.features, buf.label, j);
    buf.put(j, s.features, s.label, r++);
    if (batch.full) break;
  }
  return r;
}

/** Rows left in the buffer, in `order` from position `from`; returns the next position. */
function drainInto(batch: BatchBuilder, buf: ShuffleBuffer, order: number[], from: number): number {
  let i = from;
  while (i < order.length) {
    batch.push(buf.features, buf.label, order[i++]);
    if (batch.full) break;
  }
  return i;
}

/** One pass over the shards (shuffled or in order), row by row into batches. */
function* onePass(o: DatasetOptions, rand: () => number): Generator<HostBatch> {
  const batch = new BatchBuilder(o.features, o.batchSize, o.shard);
  // Every replica draws the same rows: only the copies of the others' rows are skipped.
  const take = function* () {
    const b = batch.take();
    if (b) yield b;
  };
  const shards = o.shuffle ? shuffleInPlace([...o.shards], rand) : o.shards;
  if (!o.shuffle) {
    for (const file of shards) {
      const s = readShardColumns(file, o.features, o.label);
      for (let r = 0; r < s.rows; ) {
        r = fillInOrder(batch, s, r);
        if (batch.full) yield* take();
      }
    }
  } else {
    const buf = new ShuffleBuffer(o.features, shuffleCapacity(o));
    for (const file of shards) {
      const s = readShardColumns(file, o.features, o.label);
      for (let r = 0; r < s.rows; ) {
        r = fillShuffled(batch, buf, s, r, rand);
        if (batch.full) yield* take();
      }
    }
    // Drain what is left in random order.
    const order = shuffleInPlace(Array.from({ length: buf.size }, (_, i) => i), rand);
    for (let i = 0; i < order.length; ) {
      i = drainInto(batch, buf, order, i);
      if (batch.full) yield* take();
    }
  }
  if (batch.size > 0 && !o.dropRemainder) yield* take();
}

/**
 * Host-side batches for one iteration (one epoch): a full pass, or exactly `steps` batches
 * (repeating the data if needed). Each call to `batches` restarts from the beginning with a new
 * shuffle drawn from `rand`.
 */
export function* batches(o: DatasetOptions, rand: () => number = mulberry32(o.seed ?? 0)): Generator<HostBatch> {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new UserError(`batch_size must be a positive integer, got ${o.batchSize}`, { field: 'batch_size' });
  if (o.shards.length === 0) throw new UserError('No Arrow shards to read: the split is empty');
  if (o.steps === undefined) {
    yield* onePass(o, rand);
    return;
  }
  let out = 0;
  while (out < o.steps) {
    let any = false;
    for (const b of onePass(o, rand)) {
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
  // The same passes as host arrays, for a training loop that needs no tensors (compiled-step/fit-loop.ts).
  const hostPass = function* (): Generator<HostBatch> {
    const source = batches(o, rand);
    for (;;) {
      const next = measure(() => {
        const b = source.next();
        return b.done ? undefined : b.value;
      });
      if (!next) return;
      onBatch?.(next.size);
      yield next;
    }
  };
  const dataset = tf.data.generator(function* () {
    const source = batches(o, rand);
    for (;;) {
      const next = measure(() => {
        const b = source.next();
        return b.done ? undefined : { size: b.value.size, tensors: toTensors(tf, b.value) };
      });
      if (!next) return;
      onBatch?.(next.size);
      yield next.tensors;
    }
  } as () => Iterator<TensorBatch>);
  const ahead = prefetchBatches(o);
  // Queued batches would be counted before the model trains on them: a sharded dataset's counts
  // weigh its gradients, so it hands batches out one at a time.
  const made = ahead > 0 && !o.shard ? dataset.prefetch(ahead) : dataset;
  hostPasses.set(made, { pass: hostPass, features: o.features });
  return made;
}

/** One pass of a dataset as host arrays, and its columns (the model's inputs by name and dtype). */
export interface HostPasses {
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
