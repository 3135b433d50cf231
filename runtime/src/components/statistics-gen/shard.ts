/**
 * One pool task's work: read Arrow IPC shards (one, or a group of consecutive ones of a split) and
 * fold every column into an accumulator, then return the partials (plain, structured-cloneable
 * objects) for the executor to merge.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Data, DataType, Field, tableFromIPC, Type } from '../../formats/arrow.ts';
import { ARROW_TYPE_METADATA_KEY } from '../../formats/examples.ts';
import { UserError } from '../../core/errors.ts';
import { NumericAccumulator, type NumericPartial, type SketchOptions } from './accumulators/numeric.ts';
import { StringAccumulator, type StringPartial, type Utf8Dictionary } from './accumulators/string.ts';
import { ValueCounts } from './accumulators/value-counts.ts';

export interface ShardTaskArgs extends SketchOptions {
  file: string;
}

/** Consecutive shards of one split, scanned by one task into one set of accumulators. */
export interface ShardGroupTaskArgs extends SketchOptions {
  files: string[];
  /** The split, for error messages. */
  split: string;
}

export type FeaturePartial = NumericPartial | StringPartial;

export interface ShardPartial {
  rows: number;
  features: FeaturePartial[];
}

type Accumulator = NumericAccumulator | StringAccumulator;

/** Largest read buffer kept for the next shard (an odd huge shard's buffer is let go). */
const SPARE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The last shard's read buffer, reused by the next shard in this thread (as RangeReader does for
 * CSV ranges): a fresh buffer per shard is memory outside the V8 heap that only a GC gives back,
 * and those GCs compete with the other workers for the cores. Safe because a shard is scanned
 * synchronously and the accumulators copy what they keep (numbers, decoded strings).
 */
let spare: Buffer | undefined;

function readShard(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = spare && spare.length >= size ? spare : Buffer.allocUnsafe(Math.max(size, 1));
    for (let done = 0; done < size; ) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) throw new Error(`unexpected end of file at byte ${done} of ${size}`);
      done += n;
    }
    if (buf.length <= SPARE_MAX_BYTES) spare = buf;
    return buf.subarray(0, size);
  } finally {
    closeSync(fd);
  }
}

export function scanShard({ file, ...options }: ShardTaskArgs): ShardPartial {
  return scanShards({ files: [file], split: '', ...options });
}

/**
 * Folds several shards into the same accumulators, so the per-task costs (accumulator set-up, the
 * switch from exact counts to sketches, building and cloning the partial, and the main thread's
 * merge of it) are paid once per group instead of once per shard.
 */
export function scanShards({ files, split, ...options }: ShardGroupTaskArgs): ShardPartial {
  const accs = new Map<string, Accumulator>();
  let rows = 0;
  for (const file of files) {
    let table;
    try {
      table = tableFromIPC(readShard(file));
    } catch (err) {
      throw new UserError(`Cannot read Arrow shard ${file}: ${(err as Error).message}`, { file });
    }
    rows += table.numRows;
    table.schema.fields.forEach((field, i) => {
      const chunks = table.getChildAt(i)?.data ?? [];
      const acc = scanColumn(field, chunks, options, file, accs.get(field.name));
      if (!accs.has(field.name)) accs.set(field.name, acc);
      else if (accs.get(field.name) !== acc) {
        throw new UserError(`Column "${field.name}" changes type between shards of split "${split}" (at ${file})`, { file, field: field.name });
      }
    });
  }
  return { rows, features: [...accs.values()].map((acc) => acc.toPartial()) };
}

/**
 * Adds one column's chunks to `into` when it is an accumulator of the right kind, else to a new
 * one (which the caller then rejects as a type change, or keeps for a first sighting).
 */
function scanColumn(field: Field, chunks: readonly Data[], options: SketchOptions, file: string, into: Accumulator | undefined): Accumulator {
  const type = field.type;
  if (DataType.isList(type)) {
    // A list feature (ImportExampleGen's variable-length features): the values are the child's,
    // and the offsets say how many each example has.
    if (into && !into.valueCounts) return new StringAccumulator(field.name, options); // a type change: rejected by the caller
    const child = new Field(field.name, type.children[0].type, true, field.metadata);
    const acc = scanColumn(child, chunks.map((d) => d.children[0]), options, file, into);
    acc.valueCounts ??= new ValueCounts();
    for (const d of chunks) acc.valueCounts.addOffsets(d.valueOffsets as Int32Array, validityOf(d), d.offset, d.length);
    return acc;
  }
  if (into?.valueCounts) return new StringAccumulator(field.name, options); // list before, scalar now: a type change
  if (DataType.isDictionary(type) && type.dictionary.typeId === Type.Utf8 && type.indices.bitWidth === 32) {
    const acc = into instanceof StringAccumulator ? into : new StringAccumulator(field.name, options);
    for (const d of chunks) {
      acc.addDictionaryChunk(d.values as Int32Array, validityOf(d), d.offset, d.length, utf8Dictionary(d));
    }
    return acc;
  }
  if (type.typeId === Type.Utf8) {
    const acc = into instanceof StringAccumulator ? into : new StringAccumulator(field.name, options);
    for (const d of chunks) addPlainUtf8(acc, d);
    return acc;
  }
  const isFloat64 = DataType.isFloat(type) && type.precision === 2;
  const isInt32 = DataType.isInt(type) && type.bitWidth === 32 && type.isSigned;
  if (isFloat64 || isInt32) {
    const declaredInt = field.metadata.get(ARROW_TYPE_METADATA_KEY) === 'INT';
    // As when merging partials, a numeric column keeps the type of its first shard.
    const acc = into instanceof NumericAccumulator ? into : new NumericAccumulator(field.name, isInt32 || declaredInt ? 'INT' : 'FLOAT', options);
    for (const d of chunks) acc.addChunk(d.values as Float64Array | Int32Array, validityOf(d), d.offset, d.length);
    return acc;
  }
  throw new UserError(
    `Column "${field.name}" in ${file} has Arrow type ${String(type)}; expected Float64, Int32, Dictionary<Utf8, Int32> or a List of those`,
    { file, field: field.name },
  );
}

function validityOf(d: Data): Uint8Array | null {
  return d.nullCount > 0 ? d.nullBitmap! : null;
}

/** The dictionary's string bytes and offsets, joined when Arrow split it into several chunks. */
function utf8Dictionary(d: Data): Utf8Dictionary {
  const parts = d.dictionary?.data ?? [];
  if (parts.length === 1) {
    const p = parts[0];
    return { length: p.length, offsets: p.valueOffsets as Int32Array, bytes: p.values as Uint8Array };
  }
  const length = parts.reduce((n, p) => n + p.length, 0);
  const offsets = new Int32Array(length + 1);
  const byteParts: Uint8Array[] = [];
  let j = 0;
  let base = 0;
  for (const p of parts) {
    const po = p.valueOffsets as Int32Array;
    for (let i = 0; i < p.length; i++) offsets[++j] = base + po[i + 1] - po[0];
    byteParts.push((p.values as Uint8Array).subarray(po[0], po[p.length]));
    base += po[p.length] - po[0];
  }
  return { length, offsets, bytes: Buffer.concat(byteParts) };
}

/** Plain (non-dictionary) Utf8: not what ExampleGen writes, but cheap to accept. */
function addPlainUtf8(acc: StringAccumulator, d: Data): void {
  const offsets = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const validity = validityOf(d);
  const decoder = new TextDecoder();
  for (let i = 0; i < d.length; i++) {
    const bit = d.offset + i;
    if (validity && (validity[bit >> 3] & (1 << (bit & 7))) === 0) continue;
    acc.present++;
    acc.totalBytes += offsets[i + 1] - offsets[i];
    acc.addValue(decoder.decode(bytes.subarray(offsets[i], offsets[i + 1])), 1);
  }
}
