/**
 * The `tft` object given to preprocessing_fn, in its two modes (see `Analyzers` in api.ts):
 * - accumulate: each analyzer call folds its input into a mergeable partial, identified by call
 *   order, and returns a placeholder of the right type;
 * - apply: each analyzer call looks up its finalized result and transforms its input.
 * Partials are plain structured-cloneable objects so pool workers can return them; `mergePartial`
 * is associative and the executor merges in shard order, so results are reproducible exactly.
 */
import { KllSketch, type KllState } from '../sketches/kll.ts';
import { quantiles as sampleQuantiles } from '../sketches/weighted-sample.ts';
import { UserError } from '../core/errors.ts';
import type { AnalyzerKind, AnalyzerRecord, Analyzers, ColumnAnalyzers, VocabularyOptions } from './api.ts';
import { withLists } from './list-analyzers.ts';

// ---------------------------------------------------------------------------------------------
// Partials and results
// ---------------------------------------------------------------------------------------------

export interface MomentsPartial { kind: 'mean_and_var'; n: number; mean: number; m2: number }
export interface MinMaxPartial { kind: 'min_max'; n: number; min: number; max: number }
export interface VocabularyPartial { kind: 'vocabulary'; counts: Map<string, number> }
export interface QuantilesPartial { kind: 'quantiles'; sketch: KllState }
export type AnalyzerPartial = MomentsPartial | MinMaxPartial | VocabularyPartial | QuantilesPartial;

/** A partial with the call that made it: the unit a shard returns per analyzer call. */
export interface PartialRecord {
  id: number;
  helper: string;
  /** Parameters that shape the result (top_k, num_buckets, ...); must agree across shards. */
  options: Record<string, unknown>;
  partial: AnalyzerPartial;
}

export interface MeanAndVarResult { mean: number; var: number; std: number; count: number }
export interface MinMaxResult { min: number; max: number; count: number }
export interface VocabularyResult { vocabulary: string[]; num_oov_buckets: number; default_value: number }
export interface QuantilesResult { boundaries: number[] }

function emptyPartial(kind: AnalyzerKind, options: Record<string, unknown>): AnalyzerPartial {
  switch (kind) {
    case 'mean_and_var':
      return { kind, n: 0, mean: 0, m2: 0 };
    case 'min_max':
      return { kind, n: 0, min: Infinity, max: -Infinity };
    case 'vocabulary':
      return { kind, counts: new Map() };
    case 'quantiles':
      return { kind, sketch: new KllSketch(options.k as number).toState() };
  }
}

/** Merges `b` into `a` (same kind); returns `a`. Chan et al.'s parallel variance for moments. */
export function mergePartial(a: AnalyzerPartial, b: AnalyzerPartial): AnalyzerPartial {
  if (a.kind === 'mean_and_var' && b.kind === 'mean_and_var') {
    const n = a.n + b.n;
    if (n === 0) return a;
    const delta = b.mean - a.mean;
    a.m2 += b.m2 + (delta * delta * a.n * b.n) / n;
    a.mean += (delta * b.n) / n;
    a.n = n;
    return a;
  }
  if (a.kind === 'min_max' && b.kind === 'min_max') {
    a.n += b.n;
    a.min = Math.min(a.min, b.min);
    a.max = Math.max(a.max, b.max);
    return a;
  }
  if (a.kind === 'vocabulary' && b.kind === 'vocabulary') {
    for (const [k, c] of b.counts) a.counts.set(k, (a.counts.get(k) ?? 0) + c);
    return a;
  }
  if (a.kind === 'quantiles' && b.kind === 'quantiles') {
    a.sketch = KllSketch.fromState(a.sketch).merge(KllSketch.fromState(b.sketch)).toState();
    return a;
  }
  throw new Error(`Cannot merge analyzer partials of kinds ${a.kind} and ${b.kind}`);
}

/** Merges shards' partial lists (each in call order) in shard order; checks every shard made the same calls. */
export function mergePartialRecords(shards: PartialRecord[][]): PartialRecord[] {
  if (shards.length === 0) return [];
  const merged = shards[0].map((r) => ({ ...r }));
  for (const shard of shards.slice(1)) {
    if (shard.length !== merged.length) {
      throw new UserError(
        `preprocessing_fn made ${merged.length} analyzer calls on one shard and ${shard.length} on another: analyzer calls must not depend on the data`,
      );
    }
    shard.forEach((r, i) => {
      const m = merged[i];
      if (m.helper !== r.helper || JSON.stringify(m.options) !== JSON.stringify(r.options)) {
        throw new UserError(
          `preprocessing_fn's analyzer call #${i + 1} is tft.${m.helper}(${JSON.stringify(m.options)}) on one shard and tft.${r.helper}(${JSON.stringify(r.options)}) on another: analyzer calls must not depend on the data`,
        );
      }
      m.partial = mergePartial(m.partial, r.partial);
    });
  }
  return merged;
}

/** fnv-1a over the string's UTF-8 bytes (encoded inline: no allocation per value). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const byte = (b: number) => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) byte(c);
    else if (c < 0x800) {
      byte(0xc0 | (c >> 6));
      byte(0x80 | (c & 63));
    } else if (c < 0x10000) {
      byte(0xe0 | (c >> 12));
      byte(0x80 | ((c >> 6) & 63));
      byte(0x80 | (c & 63));
    } else {
      byte(0xf0 | (c >> 18));
      byte(0x80 | ((c >> 12) & 63));
      byte(0x80 | ((c >> 6) & 63));
      byte(0x80 | (c & 63));
    }
  }
  return h >>> 0;
}

/**
 * Vocabulary order: frequency descending, ties by UTF-8 bytes descending (tf.Transform's rule);
 * values below `frequency_threshold` are dropped, then the first `top_k` kept.
 */
export function orderVocabulary(counts: Map<string, number>, topK?: number, frequencyThreshold = 0): string[] {
  const entries = [...counts].filter(([, c]) => c >= frequencyThreshold);
  const bytes = new Map(entries.map(([v]) => [v, Buffer.from(v, 'utf8')]));
  entries.sort((a, b) => b[1] - a[1] || Buffer.compare(bytes.get(b[0])!, bytes.get(a[0])!));
  const kept = topK === undefined ? entries : entries.slice(0, topK);
  return kept.map(([v]) => v);
}

/** Quantile boundaries for `numBuckets` buckets, deduplicated (repeated values make fewer buckets). */
export function quantileBoundaries(sketch: KllSketch, numBuckets: number): number[] {
  if (sketch.n === 0) return [];
  const qs = Array.from({ length: numBuckets - 1 }, (_, i) => (i + 1) / numBuckets);
  const values = sampleQuantiles(sketch.sample(), qs);
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

/** The result recorded in the transform graph for a merged partial. */
export function finalizePartial(r: PartialRecord): AnalyzerRecord {
  const p = r.partial;
  const base = { id: r.id, kind: p.kind, helper: r.helper };
  switch (p.kind) {
    case 'mean_and_var': {
      const variance = p.n > 0 ? p.m2 / p.n : NaN;
      return { ...base, result: { mean: p.n > 0 ? p.mean : NaN, var: variance, std: Math.sqrt(variance), count: p.n } satisfies MeanAndVarResult };
    }
    case 'min_max':
      return { ...base, result: { min: p.n > 0 ? p.min : NaN, max: p.n > 0 ? p.max : NaN, count: p.n } satisfies MinMaxResult };
    case 'vocabulary': {
      const o = r.options as { top_k?: number; frequency_threshold?: number; num_oov_buckets: number; default_value: number };
      const vocabulary = orderVocabulary(p.counts, o.top_k, o.frequency_threshold);
      return { ...base, result: { vocabulary, num_oov_buckets: o.num_oov_buckets, default_value: o.default_value } satisfies VocabularyResult };
    }
    case 'quantiles':
      return { ...base, result: { boundaries: quantileBoundaries(KllSketch.fromState(p.sketch), r.options.num_buckets as number) } satisfies QuantilesResult };
  }
}

// ---------------------------------------------------------------------------------------------
// The tft object
// ---------------------------------------------------------------------------------------------

/** Categorical outputs made by the helpers, with their vocabulary size (read when describing outputs). */
export const categoricalSizes = new WeakMap<Int32Array, number>();
/** The vocabulary behind ids made by compute_and_apply_vocabulary (apply mode): a label's class names. */
export const vocabularyOf = new WeakMap<Int32Array, readonly string[]>();
/** Placeholders returned in accumulate mode: feeding one to an analyzer is an error. */
const placeholders = new WeakSet<object>();

function categorical(ids: Int32Array, size: number): Int32Array {
  categoricalSizes.set(ids, size);
  return ids;
}

type Mode = { mode: 'accumulate'; partials: PartialRecord[] } | { mode: 'apply'; results: AnalyzerRecord[] };

function checkNumeric(x: unknown, helper: string): ArrayLike<number> {
  if (!(ArrayBuffer.isView(x) || Array.isArray(x))) {
    throw new UserError(`tft.${helper}: expected a numeric column (Float64Array, Float32Array or Int32Array), got ${describe(x)}`);
  }
  const values = x as ArrayLike<unknown>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new UserError(`tft.${helper}: expected a numeric column, found ${describe(v)} at row ${i}`);
    if (Number.isNaN(v)) {
      throw new UserError(`tft.${helper}: row ${i} is missing (NaN); fill missing values first, e.g. tft.fill_in_missing(x, 0)`);
    }
  }
  return values as ArrayLike<number>;
}

function checkStrings(x: unknown, helper: string): string[] {
  if (!Array.isArray(x)) throw new UserError(`tft.${helper}: expected a string column (array of strings), got ${describe(x)}`);
  for (let i = 0; i < x.length; i++) {
    if (typeof x[i] !== 'string') {
      throw new UserError(
        x[i] === null || x[i] === undefined
          ? `tft.${helper}: row ${i} is missing (null); fill missing values first, e.g. tft.fill_in_missing(x, '')`
          : `tft.${helper}: expected strings, found ${describe(x[i])} at row ${i}`,
      );
    }
  }
  return x as string[];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

function positiveInt(v: unknown, name: string, helper: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new UserError(`tft.${helper}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Bucket id = number of boundaries ≤ x (binary search): x < b[0] → 0, b[i-1] ≤ x < b[i] → i. */
export function applyBuckets(x: ArrayLike<number>, boundaries: readonly number[]): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    let lo = 0;
    let hi = boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (boundaries[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

export interface AnalyzerSession {
  tft: Analyzers;
  /** Accumulate mode: the partials recorded so far, in call order. */
  partials(): PartialRecord[];
  /** Apply mode: checks that every analyzer result was used (call count matches). */
  finish(): void;
}

/** A fresh `tft` for one call of preprocessing_fn. */
export function createAnalyzers(mode: Mode): AnalyzerSession {
  const calls = new AnalyzerCalls(mode);
  const tft: ColumnAnalyzers = {
    fill_in_missing: fillInMissing,
    scale_to_z_score: (x) => scaleToZScore(calls, x),
    scale_to_0_1: (x) => minMaxScale(calls, 'scale_to_0_1', x, 0, 1),
    scale_by_min_max(x, output_min = 0, output_max = 1) {
      if (!(output_min < output_max)) throw new UserError(`tft.scale_by_min_max: output_min (${output_min}) must be below output_max (${output_max})`);
      return minMaxScale(calls, 'scale_by_min_max', x, output_min, output_max);
    },
    compute_and_apply_vocabulary: (x, options = {}) => applyVocabulary(calls, x, options),
    bucketize: (x, num_buckets, options = {}) => bucketize(calls, x, num_buckets, options),
    apply_buckets: applyBucketsChecked,
    hash_strings: hashStrings,
    categorical_identity: categoricalIdentity,
    mean: (x) => calls.run<MeanAndVarResult>('mean', 'mean_and_var', {}, x, foldMoments(checkNumeric(x, 'mean')))?.mean ?? 0,
    min: (x) => calls.run<MinMaxResult>('min', 'min_max', {}, x, foldMinMax(checkNumeric(x, 'min')))?.min ?? 0,
    max: (x) => calls.run<MinMaxResult>('max', 'min_max', {}, x, foldMinMax(checkNumeric(x, 'max')))?.max ?? 0,
  };
  return {
    tft: withLists(tft, {
      sizeOf: (ids) => categoricalSizes.get(ids),
      setSize: (ids, size) => categoricalSizes.set(ids, size),
      isPlaceholder: (x) => placeholders.has(x),
      mark: (x) => placeholders.add(x),
    }),
    partials: () => (mode.mode === 'accumulate' ? mode.partials : []),
    finish: () => calls.finish(),
  };
}

/** The analyzer calls of one preprocessing_fn call, identified by call order. */
class AnalyzerCalls {
  private count = 0;

  constructor(private readonly mode: Mode) {}

  /** Runs one analyzer call: accumulates `fold` into a partial, or returns the recorded result. */
  run<R>(helper: string, kind: AnalyzerKind, options: Record<string, unknown>, input: unknown, fold: (p: AnalyzerPartial) => void): R | undefined {
    const id = this.count++;
    if (input && typeof input === 'object' && placeholders.has(input)) {
      throw new UserError(
        `tft.${helper} (analyzer call #${id + 1}) was given the output of another analyzer: analyzers must read raw or derived columns, not analyzer outputs`,
      );
    }
    const mode = this.mode;
    if (mode.mode === 'accumulate') {
      let rec = mode.partials[id];
      if (!rec) {
        rec = { id, helper, options, partial: emptyPartial(kind, options) };
        mode.partials[id] = rec;
      } else if (rec.helper !== helper) {
        throw new UserError(`preprocessing_fn's analyzer call #${id + 1} was ${rec.helper}, now ${helper}: analyzer calls must not depend on the data`);
      }
      fold(rec.partial);
      return undefined;
    }
    const rec = mode.results[id];
    if (!rec || rec.helper !== helper) {
      throw new UserError(
        `preprocessing_fn's analyzer call #${id + 1} is tft.${helper}, but the transform graph recorded ${rec ? `tft.${rec.helper}` : 'no such call'}: analyzer calls must be the same on every call`,
      );
    }
    return rec.result as R;
  }

  /** Apply mode: every recorded result was asked for. */
  finish(): void {
    if (this.mode.mode === 'apply' && this.count !== this.mode.results.length) {
      throw new UserError(
        `preprocessing_fn made ${this.count} analyzer calls, but the transform graph recorded ${this.mode.results.length}: analyzer calls must be the same on every call`,
      );
    }
  }
}

function placeholder<T extends object>(v: T): T {
  placeholders.add(v);
  return v;
}

function foldMoments(x: ArrayLike<number>) {
  return (p: AnalyzerPartial) => {
    // Welford over the batch, then a parallel merge into the running partial.
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < x.length; i++) {
      n++;
      const d = x[i] - mean;
      mean += d / n;
      m2 += d * (x[i] - mean);
    }
    mergePartial(p, { kind: 'mean_and_var', n, mean, m2 });
  };
}

function foldMinMax(x: ArrayLike<number>) {
  return (p: AnalyzerPartial) => {
    const mm = p as MinMaxPartial;
    for (let i = 0; i < x.length; i++) {
      if (x[i] < mm.min) mm.min = x[i];
      if (x[i] > mm.max) mm.max = x[i];
    }
    mm.n += x.length;
  };
}

function fillInMissing(x: Float64Array | (string | null)[], default_value?: number | string): never {
  if (x instanceof Float64Array || x instanceof Float32Array) {
    const d = default_value === undefined ? 0 : Number(default_value);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = Number.isNaN(x[i]) ? d : x[i];
    return out as never;
  }
  if (Array.isArray(x)) {
    const d = default_value === undefined ? '' : String(default_value);
    return x.map((v) => (v === null || v === undefined ? d : v)) as never;
  }
  throw new UserError(`tft.fill_in_missing: expected a raw column (Float64Array or array of strings), got ${describe(x)}`);
}

function scaleToZScore(calls: AnalyzerCalls, x: unknown): Float32Array {
  const values = checkNumeric(x, 'scale_to_z_score');
  const r = calls.run<MeanAndVarResult>('scale_to_z_score', 'mean_and_var', {}, x, foldMoments(values));
  const out = new Float32Array(values.length);
  if (!r) return placeholder(out);
  for (let i = 0; i < values.length; i++) out[i] = r.std > 0 ? (values[i] - r.mean) / r.std : values[i] - r.mean;
  return out;
}

function minMaxScale(calls: AnalyzerCalls, helper: string, x: unknown, outMin: number, outMax: number): Float32Array {
  const values = checkNumeric(x, helper);
  const r = calls.run<MinMaxResult>(helper, 'min_max', {}, x, foldMinMax(values));
  const out = new Float32Array(values.length);
  if (!r) return placeholder(out);
  const range = r.max - r.min;
  for (let i = 0; i < values.length; i++) {
    out[i] = range > 0 ? outMin + ((values[i] - r.min) / range) * (outMax - outMin) : (outMin + outMax) / 2;
  }
  return out;
}

function applyVocabulary(calls: AnalyzerCalls, x: unknown, options: VocabularyOptions): Int32Array {
  const helper = 'compute_and_apply_vocabulary';
  const keys: string[] = Array.isArray(x) && typeof x[0] !== 'number' ? checkStrings(x, helper) : Array.from(checkNumeric(x, helper), String);
  const num_oov_buckets = options.num_oov_buckets ?? 0;
  if (!Number.isInteger(num_oov_buckets) || num_oov_buckets < 0) throw new UserError(`tft.${helper}: num_oov_buckets must be an integer ≥ 0, got ${num_oov_buckets}`);
  if (options.top_k !== undefined) positiveInt(options.top_k, 'top_k', helper);
  const opts = {
    top_k: options.top_k,
    frequency_threshold: options.frequency_threshold ?? 0,
    num_oov_buckets,
    default_value: options.default_value ?? -1,
  };
  const r = calls.run<VocabularyResult>(helper, 'vocabulary', opts, x, (p) => {
    const counts = (p as VocabularyPartial).counts;
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  });
  const out = new Int32Array(keys.length);
  if (!r) return placeholder(out);
  const index = vocabularyIndex(r);
  const v = r.vocabulary.length;
  for (let i = 0; i < keys.length; i++) {
    const id = index.get(keys[i]);
    out[i] = id !== undefined ? id : r.num_oov_buckets > 0 ? v + (fnv1a32(keys[i]) % r.num_oov_buckets) : r.default_value;
  }
  vocabularyOf.set(out, r.vocabulary);
  return categorical(out, v + r.num_oov_buckets);
}

function bucketize(calls: AnalyzerCalls, x: unknown, num_buckets: number, options: { epsilon?: number }): Int32Array {
  positiveInt(num_buckets, 'num_buckets', 'bucketize');
  const values = checkNumeric(x, 'bucketize');
  const epsilon = options.epsilon ?? 0.01;
  if (!(epsilon > 0 && epsilon < 1)) throw new UserError(`tft.bucketize: epsilon must be in (0, 1), got ${epsilon}`);
  const k = Math.max(8, Math.ceil(2.6 / epsilon));
  const r = calls.run<QuantilesResult>('bucketize', 'quantiles', { num_buckets, k }, x, (p) => {
    const q = p as QuantilesPartial;
    const sketch = KllSketch.fromState(q.sketch);
    sketch.updateMany(values);
    q.sketch = sketch.toState();
  });
  if (!r) return placeholder(new Int32Array(values.length));
  return categorical(applyBuckets(values, r.boundaries), r.boundaries.length + 1);
}

function applyBucketsChecked(x: unknown, boundaries: readonly number[]): Int32Array {
  const values = checkNumeric(x, 'apply_buckets');
  for (let i = 1; i < boundaries.length; i++) {
    if (!(boundaries[i - 1] <= boundaries[i])) throw new UserError(`tft.apply_buckets: boundaries must be sorted ascending (index ${i})`);
  }
  return categorical(applyBuckets(values, boundaries), boundaries.length + 1);
}

function hashStrings(x: unknown, hash_buckets: number): Int32Array {
  positiveInt(hash_buckets, 'hash_buckets', 'hash_strings');
  const strings = checkStrings(x, 'hash_strings');
  const out = new Int32Array(strings.length);
  for (let i = 0; i < strings.length; i++) out[i] = fnv1a32(strings[i]) % hash_buckets;
  return categorical(out, hash_buckets);
}

function categoricalIdentity(x: unknown, num_buckets: number, default_value = 0): Int32Array {
  positiveInt(num_buckets, 'num_buckets', 'categorical_identity');
  if (!Number.isInteger(default_value) || default_value < 0 || default_value >= num_buckets) {
    throw new UserError(`tft.categorical_identity: default_value must be an id in [0, ${num_buckets}), got ${default_value}`);
  }
  const values = checkNumeric(x, 'categorical_identity');
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isInteger(v) && v >= 0 && v < num_buckets ? v : default_value;
  }
  return categorical(out, num_buckets);
}

/** value → id, built once per vocabulary result (results are reused for every batch). */
const vocabularyIndexes = new WeakMap<VocabularyResult, Map<string, number>>();
function vocabularyIndex(r: VocabularyResult): Map<string, number> {
  let m = vocabularyIndexes.get(r);
  if (!m) {
    m = new Map(r.vocabulary.map((v, i) => [v, i]));
    vocabularyIndexes.set(r, m);
  }
  return m;
}
