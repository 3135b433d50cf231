/**
 * The Examples artifact layout, shared by every component that reads or writes rows.
 *
 *   <uri>/Split-<split>/part-<NNNNN>.arrow     Apache Arrow IPC *file* format, one or more record batches
 *
 * Column storage: FLOAT → Float64; INT → Int32 when every value fits, else Float64 with field
 * metadata `tributary.type = INT` (exact to 2^53); STRING → Dictionary<Utf8, Int32>. A missing
 * value is a null. A variable-length feature (ImportExampleGen) is an Arrow List of Float64 (INT
 * ones marked as above) or of Utf8: a null list is missing, an empty list present with no values.
 * Shards are numbered by position in the input, so the same input always gives
 * the same shards whatever the worker count — merged statistics are then reproducible exactly.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';

export type FeatureType = 'INT' | 'FLOAT' | 'STRING';

export interface ColumnInfo {
  name: string;
  type: FeatureType;
  /** A list column (Arrow List<Float64> or List<Utf8>): a variable number of values per row (ImportExampleGen). */
  list?: boolean;
}

export interface SplitInfo {
  rows: number;
  /** Shard file names relative to the split folder, in order. */
  shards: string[];
}

/** Properties recorded on every Examples artifact. */
export interface ExamplesProperties {
  splitNames: string[];
  splits: Record<string, SplitInfo>;
  columns: ColumnInfo[];
  /** Rows skipped as malformed (only with skip_bad_rows). */
  skippedRows: number;
  /** The span read (TFX span); with a span range, the latest span of the range. */
  span?: number;
  version?: number;
  /** Every span read, when a span range selected more than one. */
  spans?: { span: number; version?: number }[];
}

export const ARROW_TYPE_METADATA_KEY = 'tributary.type';

export function splitDir(uri: string, split: string): string {
  return join(uri, `Split-${split}`);
}

export function shardFileName(index: number): string {
  return `part-${String(index).padStart(5, '0')}.arrow`;
}

/** Absolute paths of a split's shards in order (from the folder, so it also works without properties). */
export function listShards(uri: string, split: string): string[] {
  const dir = splitDir(uri, split);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new UserError(`Cannot list the shards of split "${split}" in ${uri}: ${(err as Error).message}`, { file: uri });
  }
  return names
    .filter((f) => f.endsWith('.arrow'))
    .sort()
    .map((f) => join(dir, f));
}

/** The splits present in an Examples folder, for artifacts recorded without split properties. */
export function listSplits(uri: string): string[] {
  if (!existsSync(uri)) throw new UserError(`Examples folder ${uri} does not exist`, { file: uri });
  return readdirSync(uri)
    .filter((d) => d.startsWith('Split-'))
    .map((d) => d.slice('Split-'.length))
    .sort();
}
