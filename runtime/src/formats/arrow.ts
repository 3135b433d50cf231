/**
 * apache-arrow for the hot data paths (CsvExampleGen's shard writer, StatisticsGen's shard reader),
 * loaded from the package's single-file build. Its ES module entry is ~160 files that every pool
 * worker thread has to resolve and compile (~130 ms per worker, paid before the first row on both
 * cores); the single file, the same version and API, loads in ~15 ms. Modules that share Arrow
 * objects with these paths must take them from here too: classes of the two builds do not mix
 * (`instanceof`), while IPC bytes do.
 */
import { createRequire } from 'node:module';
import type * as ArrowTypes from 'apache-arrow';

const requireCjs = createRequire(import.meta.url);

function load(): typeof ArrowTypes {
  try {
    return requireCjs('apache-arrow/Arrow.esnext.min') as typeof ArrowTypes;
  } catch {
    // A build of the package without the single file: its CommonJS entry has the same API.
    return requireCjs('apache-arrow') as typeof ArrowTypes;
  }
}

const arrow = load();

export const {
  DataType,
  Dictionary,
  Field,
  Float64,
  Int32,
  List,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  Type,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} = arrow;

export type Data<T extends ArrowTypes.DataType = any> = ArrowTypes.Data<T>;
export type DataType<T extends ArrowTypes.Type = any> = ArrowTypes.DataType<T>;
export type Field<T extends ArrowTypes.DataType = any> = ArrowTypes.Field<T>;
export type Utf8 = ArrowTypes.Utf8;
