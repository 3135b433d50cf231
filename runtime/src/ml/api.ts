/**
 * The types user module files program against: `preprocessing_fn` (Transform), `run_fn`
 * (Trainer) and `tuner_fn` (Tuner). Everything a module needs at run time arrives as an argument
 * (the analyzers object, the tfjs namespace, the search-space builder), so a module only imports
 * *types* from Tributary: `import type { PreprocessingFn } from 'tributary'`.
 *
 * Names follow TFX / tf.Transform (snake_case) so a TFX user recognises them.
 */
import type { NodeLogger } from '../core/component.ts';
import type { Schema } from '../formats/schema.ts';
import type { FeatureType } from '../formats/examples.ts';

/** The tfjs namespace a module must use (the one whose backend the runtime selected). */
export type Tf = typeof import('@tensorflow/tfjs');
type Tensor = import('@tensorflow/tfjs').Tensor;
type LayersModel = import('@tensorflow/tfjs').LayersModel;
type TfDataset<T extends import('@tensorflow/tfjs').TensorContainer> = import('@tensorflow/tfjs').data.Dataset<T>;

// ---------------------------------------------------------------------------------------------
// Raw and transformed columns
// ---------------------------------------------------------------------------------------------

/**
 * A raw numeric column (schema type INT or FLOAT): one float64 per row, **NaN marks a missing
 * value**. Typed arrays keep the per-row work allocation-free and structured-clone cheaply
 * between worker threads; INT values are exact up to 2^53.
 */
export type NumericColumn = Float64Array;

/** A raw string column (schema type STRING/BYTES): one entry per row, **null marks a missing value**. */
export type StringColumn = (string | null)[];

/**
 * A raw list feature (a variable number of values per row: ImportExampleGen's and
 * ParquetExampleGen's list columns) in ragged form, as tf.RaggedTensor: row i holds
 * `values[row_splits[i] .. row_splits[i + 1])`, so `row_splits` has rows + 1 entries. A missing
 * list reads as an empty one (as tf.io.VarLenFeature does). `value_count` is the schema's
 * valueCount for the feature, when it records one; `tft.to_dense` pads to its max.
 */
export interface ListColumn<V = Float64Array | string[]> {
  values: V;
  row_splits: Int32Array;
  value_count?: { min?: number; max?: number };
}

export type NumericListColumn = ListColumn<Float64Array>;
export type StringListColumn = ListColumn<string[]>;

export type RawColumn = NumericColumn | StringColumn | NumericListColumn | StringListColumn;

/**
 * The raw features given to `preprocessing_fn`: one column per raw feature, all of the same
 * length (the rows of one shard at training time, of one request at serving time). Every raw
 * feature of the training data is present; a feature absent from a serving request arrives as an
 * all-missing column, so `fill_in_missing` decides what it means.
 */
export type RawColumns = Record<string, RawColumn>;

/**
 * A transformed feature, the output of `preprocessing_fn`:
 * - `Float32Array` (or `Float64Array`, stored as float32): a numeric model input;
 * - `Int32Array`: a categorical id in `[0, vocabularySize)`. Ids produced by
 *   `compute_and_apply_vocabulary`, `bucketize`, `apply_buckets`, `hash_strings` and
 *   `categorical_identity` carry their vocabulary size; for any other Int32Array the size is
 *   max id + 1 over the training data.
 */
export type TransformedColumn = Float32Array | Float64Array | Int32Array;

export type TransformedColumns = Record<string, TransformedColumn>;

/** Numeric values an analyzer or helper accepts: a raw column, or anything derived from one. */
export type NumericInput = Float64Array | Float32Array | Int32Array;

// ---------------------------------------------------------------------------------------------
// preprocessing_fn and its analyzers (tf.Transform's `tft` module)
// ---------------------------------------------------------------------------------------------

export interface VocabularyOptions {
  /** Keep only the `top_k` most frequent values (after `frequency_threshold`). Default: all. */
  top_k?: number;
  /** Drop values seen fewer than this many times in the training data. Default 0 (keep all). */
  frequency_threshold?: number;
  /**
   * Out-of-vocabulary values hash (stable FNV-1a 32-bit of the UTF-8 bytes) into this many extra ids after the
   * vocabulary: ids `[V, V + num_oov_buckets)`. With 0, they get `default_value`.
   */
  num_oov_buckets?: number;
  /** The id of an out-of-vocabulary value when `num_oov_buckets` is 0. Default -1 (as TFT). */
  default_value?: number;
}

/**
 * The helpers given to `preprocessing_fn` as its second argument, modelled on tf.Transform.
 *
 * Analyzers (`scale_to_z_score`, `scale_to_0_1`, `compute_and_apply_vocabulary`, `bucketize`) need
 * a full pass over the training data. Transform calls `preprocessing_fn` twice per shard: first
 * in *accumulate* mode, where each analyzer records a mergeable partial (moments, min/max, value
 * counts, a quantile sketch) and returns a placeholder of the right type; then, after the
 * partials of all shards are merged, in *apply* mode with the final results. Consequences:
 * - analyzers are identified by **call order**: call the same analyzers in the same order on
 *   every row batch (no branching on the data around an analyzer call);
 * - an analyzer's input must not depend on another analyzer's output (placeholders are not
 *   real values); analyzing a raw or derived column is fine.
 *
 * Missing values are explicit: analyzers and helpers reject NaN / null inputs with an error
 * naming the analyzer; call `fill_in_missing` first (TFX's `_fill_in_missing`).
 */
export interface ColumnAnalyzers {
  /** NaN → `default_value` (default 0). */
  fill_in_missing(x: NumericColumn, default_value?: number): Float64Array;
  /** null → `default_value` (default ''). */
  fill_in_missing(x: StringColumn, default_value?: string): string[];

  /** (x − mean) / std over the training data (population std); std 0 gives x − mean. */
  scale_to_z_score(x: NumericInput): Float32Array;
  /** (x − min) / (max − min) over the training data; max = min gives 0.5 (as TFT). */
  scale_to_0_1(x: NumericInput): Float32Array;
  /** Linear map of [min, max] of the training data onto [output_min, output_max]. */
  scale_by_min_max(x: NumericInput, output_min?: number, output_max?: number): Float32Array;

  /**
   * Builds a vocabulary over the training data and maps each value to its id. Order: frequency
   * descending, ties broken by the value's UTF-8 bytes descending (TFT's rule), so ids are
   * deterministic. Numbers are keyed by their decimal string.
   */
  compute_and_apply_vocabulary(x: string[] | NumericInput, options?: VocabularyOptions): Int32Array;

  /**
   * Quantile bucket ids in `[0, num_buckets)`: boundaries are the 1/n … (n−1)/n quantiles of the
   * training data (KLL sketch, rank error ≈ `epsilon`). `x < b[0]` → 0, `b[i-1] ≤ x < b[i]` → i.
   */
  bucketize(x: NumericInput, num_buckets: number, options?: { epsilon?: number }): Int32Array;
  /** Bucket ids for explicit, sorted boundaries (not an analyzer): `boundaries.length + 1` buckets. */
  apply_buckets(x: NumericInput, boundaries: readonly number[]): Int32Array;

  /** Stable string hash (FNV-1a 32-bit of the UTF-8 bytes) modulo `hash_buckets` (not an analyzer). */
  hash_strings(x: string[], hash_buckets: number): Int32Array;

  /**
   * Integer ids used as categories as they are (tf.feature_column's categorical_column_with_identity):
   * values outside `[0, num_buckets)` or non-integers become `default_value` (default 0).
   */
  categorical_identity(x: NumericInput, num_buckets: number, default_value?: number): Int32Array;

  /** Full-pass scalars (analyzers). */
  mean(x: NumericInput): number;
  min(x: NumericInput): number;
  max(x: NumericInput): number;
}

/** A list of numbers an analyzer or helper accepts: a raw list column, or one derived from it. */
export type NumericListInput = ListColumn<NumericInput>;

/**
 * `ColumnAnalyzers` plus list features (`ListColumn`). An analyzer or element-wise helper given a
 * list column works on all of its values (as tf.Transform's on a SparseTensor: a z-score over every
 * value of every row, one vocabulary over every string) and returns a list column of the same
 * shape. A model input is one value per row, so a list reaches the Trainer through `list_length`,
 * `list_reduce` or `to_dense`.
 */
export interface Analyzers extends ColumnAnalyzers {
  scale_to_z_score(x: NumericInput): Float32Array;
  scale_to_z_score(x: NumericListInput): ListColumn<Float32Array>;
  scale_to_0_1(x: NumericInput): Float32Array;
  scale_to_0_1(x: NumericListInput): ListColumn<Float32Array>;
  scale_by_min_max(x: NumericInput, output_min?: number, output_max?: number): Float32Array;
  scale_by_min_max(x: NumericListInput, output_min?: number, output_max?: number): ListColumn<Float32Array>;
  compute_and_apply_vocabulary(x: string[] | NumericInput, options?: VocabularyOptions): Int32Array;
  compute_and_apply_vocabulary(x: ListColumn<string[] | NumericInput>, options?: VocabularyOptions): ListColumn<Int32Array>;
  bucketize(x: NumericInput, num_buckets: number, options?: { epsilon?: number }): Int32Array;
  bucketize(x: NumericListInput, num_buckets: number, options?: { epsilon?: number }): ListColumn<Int32Array>;
  apply_buckets(x: NumericInput, boundaries: readonly number[]): Int32Array;
  apply_buckets(x: NumericListInput, boundaries: readonly number[]): ListColumn<Int32Array>;
  hash_strings(x: string[], hash_buckets: number): Int32Array;
  hash_strings(x: ListColumn<string[]>, hash_buckets: number): ListColumn<Int32Array>;
  categorical_identity(x: NumericInput, num_buckets: number, default_value?: number): Int32Array;
  categorical_identity(x: NumericListInput, num_buckets: number, default_value?: number): ListColumn<Int32Array>;
  mean(x: NumericInput | NumericListInput): number;
  min(x: NumericInput | NumericListInput): number;
  max(x: NumericInput | NumericListInput): number;

  /** The number of values in each row of a list column (0 for a missing list). */
  list_length(x: ListColumn<NumericInput | string[]>): Float64Array;
  /** One number per row: the sum, mean, min or max of the row's values; a row with no values gets `default_value` (default 0). */
  list_reduce(x: NumericListInput, op: 'sum' | 'mean' | 'min' | 'max', default_value?: number): Float64Array;
  /**
   * A list column as `width` columns, one per position (row i's j-th value, or `default_value` past
   * the row's end; values past `width` are dropped). `width` defaults to the schema's valueCount.max
   * for the feature. Categorical ids (from compute_and_apply_vocabulary, bucketize, ...) pad with a
   * padding id of their own, the vocabulary size, unless `default_value` is given, and each column
   * carries the size (one more for the padding id).
   */
  to_dense(x: ListColumn<Int32Array>, width?: number, default_value?: number): Int32Array[];
  to_dense(x: ListColumn<Float32Array>, width?: number, default_value?: number): Float32Array[];
  to_dense(x: ListColumn<Float64Array>, width?: number, default_value?: number): Float64Array[];
  to_dense(x: ListColumn<string[]>, width?: number, default_value?: string): string[][];
}

/**
 * A preprocessing function: raw columns in, transformed columns out. It must be pure and
 * row-wise apart from the analyzers (same rows → same outputs, whatever the batch), because the
 * very same function is applied to serving requests.
 *
 * `F` types the raw features: `tributary types FILE` (or the editor, after SchemaGen ran) writes
 * `<pipeline>.features.d.ts` with `Features` from the schema and `TypedPreprocessingFn =
 * PreprocessingFn<Features>`, so `inputs.trip_miles` autocompletes and a misspelt name fails to compile.
 */
export type PreprocessingFn<F extends RawColumns = RawColumns> = (inputs: F, tft: Analyzers) => TransformedColumns;

// ---------------------------------------------------------------------------------------------
// Transform graph (the Transform component's output, applied everywhere else)
// ---------------------------------------------------------------------------------------------

export type AnalyzerKind = 'mean_and_var' | 'min_max' | 'vocabulary' | 'quantiles';

export interface AnalyzerRecord {
  /** Call order within `preprocessing_fn`, from 0. */
  id: number;
  kind: AnalyzerKind;
  /** The helper that made the call (e.g. `scale_to_z_score`); `column` is the output it fed, when known. */
  helper: string;
  column?: string;
  result: unknown;
}

export interface OutputFeature {
  name: string;
  dtype: 'float32' | 'int32';
  kind: 'numeric' | 'categorical';
  /** Categorical only: ids lie in `[0, vocabularySize)` (OOV buckets included). */
  vocabularySize?: number;
}

/** `<uri>/transform_graph.json`. */
export interface TransformGraphJson {
  formatVersion: 1;
  module: { file: string; exportName: string; sourceHash: string };
  analyzers: AnalyzerRecord[];
  /** `list`: a list feature (a `ListColumn`), with the schema's valueCount when it records one. */
  rawFeatures: { name: string; type: FeatureType; list?: boolean; valueCount?: { min?: number; max?: number } }[];
  outputFeatures: OutputFeature[];
  /** The output feature that is the label (not fed to the model). */
  label?: string;
}

/** A loaded transform graph: what the Trainer, Evaluator, BulkInferrer and the server apply. */
export interface TransformGraph {
  uri: string;
  json: TransformGraphJson;
  /** Raw columns (missing columns allowed: all-missing) → transformed columns. */
  apply(columns: RawColumns): TransformedColumns;
  /** Row objects as in a serving request (`{ fare: 12.5, company: 'Flash Cab', ... }`) → transformed columns. */
  applyToRows(rows: Record<string, unknown>[]): TransformedColumns;
}

// ---------------------------------------------------------------------------------------------
// run_fn (Trainer)
// ---------------------------------------------------------------------------------------------

/** One training batch: transformed features by name (model inputs) and the label. */
export type TensorBatch = {
  xs: Record<string, Tensor>;
  ys: Tensor;
};

export type HyperParameterValue = number | string | boolean;
export type HyperParameters = Record<string, HyperParameterValue>;

export interface RunFnContext {
  /** The tfjs namespace with the selected backend active: build models with it, not with your own import. */
  tf: Tf;
  /** The backend in use ('tensorflow' | 'webgpu' | 'wasm' | 'cpu'). */
  backend: string;
  /** What the backend can train: `embeddings` is false on wasm (no UnsortedSegmentSum), so one-hot encode there. */
  supports: { embeddings: boolean };
  /** Batches of transformed training examples, streamed from the Arrow shards; `model.fitDataset` takes it. */
  train_dataset: TfDataset<TensorBatch>;
  eval_dataset: TfDataset<TensorBatch>;
  /** The transformed features the model should take, in a stable order, with vocabulary sizes. */
  input_features: OutputFeature[];
  /** The label's output feature name. */
  label: string;
  schema?: Schema;
  transform_graph?: TransformGraph;
  hyperparameters: HyperParameters;
  train_steps?: number;
  eval_steps?: number;
  epochs: number;
  batch_size: number;
  /** Directory for the module's own logs; the runtime writes metrics.jsonl and TensorBoard events here. */
  log_dir: string;
  log: NodeLogger;
  /** Pass to `model.fit`/`fitDataset` (`callbacks: ctx.callbacks`) so per-epoch metrics are logged. */
  callbacks: import('@tensorflow/tfjs').CustomCallbackArgs;
  signal: AbortSignal;
}

export interface RunFnResult {
  /** The trained model, its inputs named after `input_features`. The Trainer saves it with the transform graph. */
  model: LayersModel;
  /** Extra metrics to record on the Model artifact. */
  metrics?: Record<string, number>;
  /** Extra properties to record on the Model artifact (e.g. how each feature was encoded); JSON values, names the Trainer does not use itself. */
  properties?: Record<string, unknown>;
}

export type RunFn = (ctx: RunFnContext) => Promise<RunFnResult> | RunFnResult;

// ---------------------------------------------------------------------------------------------
// tuner_fn (Tuner)
// ---------------------------------------------------------------------------------------------

export type HyperParameterSpec =
  | { type: 'choice'; values: HyperParameterValue[] }
  | { type: 'int'; min: number; max: number; step?: number }
  | { type: 'float'; min: number; max: number; log?: boolean };

export type SearchSpace = Record<string, HyperParameterSpec>;

/** Builders for a search space, given to `tuner_fn` (KerasTuner's `hp.Choice/Int/Float`). */
export interface SearchSpaceBuilder {
  choice(values: HyperParameterValue[]): HyperParameterSpec;
  int(min: number, max: number, options?: { step?: number }): HyperParameterSpec;
  float(min: number, max: number, options?: { log?: boolean }): HyperParameterSpec;
}

export interface TrialContext extends RunFnContext {
  trial_id: number;
  /** Report the objective after an epoch; returns 'stop' when the tuner stops this trial early. */
  report(epoch: number, metrics: Record<string, number>): 'continue' | 'stop';
}

/** One trial: train with `ctx.hyperparameters` and return the final metrics (must include the objective). */
export type TrialFn = (ctx: TrialContext) => Promise<Record<string, number>>;

export interface TunerFnContext {
  hp: SearchSpaceBuilder;
  schema?: Schema;
  log: NodeLogger;
}

export interface TunerFnResult {
  search_space: SearchSpace;
  objective: { metric: string; direction: 'min' | 'max' };
  /** Default: the module's `run_fn`, evaluated on the eval dataset. */
  run_trial?: TrialFn;
  max_trials?: number;
}

export type TunerFn = (ctx: TunerFnContext) => Promise<TunerFnResult> | TunerFnResult;
