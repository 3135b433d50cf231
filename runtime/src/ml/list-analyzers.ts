/**
 * List features in preprocessing_fn (see `Analyzers` in api.ts): the column analyzers lifted to
 * ragged list columns, which they process value by value (the list's `values` array is the column
 * they analyze, so accumulate/apply, placeholders and vocabulary sizes work unchanged), plus the
 * helpers that turn a list into per-row model inputs (`list_length`, `list_reduce`, `to_dense`).
 */
import { UserError } from '../core/errors.ts';
import type { Analyzers, ColumnAnalyzers, ListColumn, NumericInput } from './api.ts';

export function isListColumn(x: unknown): x is ListColumn<unknown> {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && (x as ListColumn).row_splits instanceof Int32Array;
}

/** Rows of a raw or derived column: a list column's row count comes from its row_splits. */
export function columnRows(c: ArrayLike<unknown> | ListColumn<unknown>): number {
  return isListColumn(c) ? Math.max(0, c.row_splits.length - 1) : (c as ArrayLike<unknown>).length;
}

function checkList(x: unknown, helper: string): ListColumn<NumericInput | string[]> {
  if (!isListColumn(x)) throw new UserError(`tft.${helper}: expected a list column ({ values, row_splits }), got ${ArrayBuffer.isView(x) ? x.constructor.name : Array.isArray(x) ? 'an array' : x === null ? 'null' : typeof x}`);
  const { values, row_splits } = x as ListColumn<NumericInput | string[]>;
  if (row_splits.length === 0 || row_splits[0] !== 0 || row_splits[row_splits.length - 1] !== values.length) {
    throw new UserError(`tft.${helper}: row_splits must start at 0 and end at values.length (${values.length})`);
  }
  return x as ListColumn<NumericInput | string[]>;
}

function checkNumericList(x: unknown, helper: string): ListColumn<NumericInput> {
  const list = checkList(x, helper);
  if (Array.isArray(list.values)) throw new UserError(`tft.${helper}: expected a numeric list column, got a list of strings`);
  return list as ListColumn<NumericInput>;
}

export interface ListSupport {
  /** Size of categorical ids made by the column helpers (undefined for other Int32Arrays). */
  sizeOf(ids: Int32Array): number | undefined;
  /** Marks ids as categorical with a vocabulary size. */
  setSize(ids: Int32Array, size: number): void;
  /** Whether `x` is an analyzer's accumulate-mode placeholder; `mark` makes a derived column one. */
  isPlaceholder(x: object): boolean;
  mark(x: object): void;
}

/** The `tft` given to preprocessing_fn: `base` for columns, the same helpers over list columns. */
export function withLists(base: ColumnAnalyzers, support: ListSupport): Analyzers {
  // An element-wise helper over a list: the same helper over its values, in the same shape.
  const lift =
    <A extends unknown[]>(name: keyof ColumnAnalyzers, f: (x: never, ...rest: A) => unknown) =>
    (x: unknown, ...rest: A): never => {
      if (!isListColumn(x)) return f(x as never, ...rest) as never;
      const list = checkList(x, name);
      return { values: f(list.values as never, ...rest), row_splits: list.row_splits, ...(list.value_count ? { value_count: list.value_count } : {}) } as never;
    };
  // A scalar analyzer over a list: over all of its values.
  const overValues =
    (name: string, f: (x: NumericInput) => number) =>
    (x: unknown): number =>
      f((isListColumn(x) ? checkNumericList(x, name).values : x) as NumericInput);

  const tft: Analyzers = {
    fill_in_missing(x: never, default_value?: never): never {
      if (isListColumn(x)) throw new UserError('tft.fill_in_missing: a list column has no missing values (a missing list is empty); use tft.list_length, tft.list_reduce or tft.to_dense');
      return base.fill_in_missing(x, default_value) as never;
    },
    scale_to_z_score: lift('scale_to_z_score', base.scale_to_z_score),
    scale_to_0_1: lift('scale_to_0_1', base.scale_to_0_1),
    scale_by_min_max: lift('scale_by_min_max', base.scale_by_min_max),
    compute_and_apply_vocabulary: lift('compute_and_apply_vocabulary', base.compute_and_apply_vocabulary),
    bucketize: lift('bucketize', base.bucketize),
    apply_buckets: lift('apply_buckets', base.apply_buckets),
    hash_strings: lift('hash_strings', base.hash_strings),
    categorical_identity: lift('categorical_identity', base.categorical_identity),
    mean: overValues('mean', base.mean),
    min: overValues('min', base.min),
    max: overValues('max', base.max),

    list_length(x) {
      const { row_splits } = checkList(x, 'list_length');
      const out = new Float64Array(row_splits.length - 1);
      for (let i = 0; i < out.length; i++) out[i] = row_splits[i + 1] - row_splits[i];
      return out;
    },

    list_reduce(x, op, default_value = 0) {
      const { values, row_splits } = checkNumericList(x, 'list_reduce');
      if (!['sum', 'mean', 'min', 'max'].includes(op)) throw new UserError(`tft.list_reduce: op must be 'sum', 'mean', 'min' or 'max', got ${JSON.stringify(op)}`);
      const out = new Float64Array(row_splits.length - 1);
      for (let i = 0; i < out.length; i++) {
        const from = row_splits[i];
        const to = row_splits[i + 1];
        if (to === from) {
          out[i] = default_value;
          continue;
        }
        let acc = op === 'min' ? Infinity : op === 'max' ? -Infinity : 0;
        for (let j = from; j < to; j++) {
          const v = values[j];
          if (op === 'min') acc = v < acc ? v : acc;
          else if (op === 'max') acc = v > acc ? v : acc;
          else acc += v;
        }
        out[i] = op === 'mean' ? acc / (to - from) : acc;
      }
      if (support.isPlaceholder(values)) support.mark(out);
      return out;
    },

    to_dense(x: ListColumn<NumericInput | string[]>, width?: number, default_value?: number | string): never {
      const list = checkList(x, 'to_dense');
      const w = width ?? list.value_count?.max;
      if (w === undefined) throw new UserError('tft.to_dense: give a width; the schema records no valueCount.max for this list feature');
      if (!Number.isInteger(w) || w < 1) throw new UserError(`tft.to_dense: width must be a positive integer, got ${String(w)}`);
      const { values, row_splits } = list;
      const rows = row_splits.length - 1;
      const size = values instanceof Int32Array ? support.sizeOf(values) : undefined;
      let pad: number | string;
      if (Array.isArray(values)) pad = default_value === undefined ? '' : String(default_value);
      else pad = default_value === undefined ? (size ?? 0) : Number(default_value);
      const columns = Array.from({ length: w }, () => (Array.isArray(values) ? new Array<string>(rows) : new (values.constructor as new (n: number) => NumericInput)(rows)));
      for (let i = 0; i < rows; i++) {
        const from = row_splits[i];
        const n = row_splits[i + 1] - from;
        for (let j = 0; j < w; j++) (columns[j] as (number | string)[])[i] = j < n ? values[from + j] : pad;
      }
      for (const c of columns) {
        if (size !== undefined && c instanceof Int32Array) support.setSize(c, Math.max(size + (default_value === undefined ? 1 : 0), Number(pad) + 1));
        if (support.isPlaceholder(values)) support.mark(c);
      }
      return columns as never;
    },
  };
  return tft;
}
