/**
 * Parquet column types → Tributary's column kinds (runtime/src/formats/examples.ts). Flat columns
 * only: a repeated or nested column is a clear error naming the column, as are time types (cast
 * them to a string or an integer upstream: their meaning as a feature is the pipeline's choice).
 */
import type { ColumnChunk, FileMetaData, SchemaElement } from 'hyparquet';
import { UserError } from '../../core/errors.ts';
import { KIND_F64, KIND_I32, KIND_I53, KIND_STR } from '../csv-example-gen/values.ts';

export interface ParquetColumn {
  name: string;
  kind: number;
  /** Parquet's physical and logical type, for messages. */
  parquetType: string;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function describe(e: SchemaElement): string {
  const logical = e.logical_type?.type ?? e.converted_type;
  return logical ? `${e.type ?? 'group'} (${logical})` : String(e.type ?? 'group');
}

function kindOf(e: SchemaElement, file: string): number {
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  const unsupported = (why: string) =>
    new UserError(`${file}: column "${e.name}" has Parquet type ${describe(e)}: ${why}`, { file, field: 'input' });
  if (e.num_children || e.repetition_type === 'REPEATED' || logical === 'LIST' || logical === 'MAP' || converted === 'LIST' || converted === 'MAP') {
    throw unsupported('nested and list columns are not read by ParquetExampleGen; flatten it, or write TFRecord tf.Examples for ImportExampleGen, which reads variable-length features as list columns');
  }
  if (logical === 'DATE' || logical === 'TIME' || logical === 'TIMESTAMP' || converted === 'DATE' || converted?.startsWith('TIME') || e.type === 'INT96') {
    throw unsupported('time types have no Tributary feature type; cast the column to a string or an integer (e.g. epoch seconds) when writing the file');
  }
  if (logical === 'FLOAT16') return KIND_F64;
  if (converted === 'DECIMAL' || logical === 'DECIMAL') return KIND_F64;
  switch (e.type) {
    case 'BOOLEAN':
      return KIND_I32;
    case 'INT32':
      return converted === 'UINT_32' || (logical === 'INTEGER' && e.logical_type?.type === 'INTEGER' && !e.logical_type.isSigned && e.logical_type.bitWidth === 32) ? KIND_I53 : KIND_I32;
    case 'INT64':
      return KIND_I53;
    case 'FLOAT':
    case 'DOUBLE':
      return KIND_F64;
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      return KIND_STR;
    default:
      throw unsupported('not a supported type');
  }
}

/** A 64-bit integer column whose row-group statistics all fit in int32 is stored as Int32, as CSV does. */
function fitsInt32(meta: FileMetaData, column: number): boolean {
  if (meta.row_groups.length === 0) return false;
  return meta.row_groups.every((g) => {
    const s = (g.columns[column] as ColumnChunk | undefined)?.meta_data?.statistics;
    const min = s?.min_value ?? s?.min;
    const max = s?.max_value ?? s?.max;
    if ((typeof min !== 'bigint' && typeof min !== 'number') || (typeof max !== 'bigint' && typeof max !== 'number')) return false;
    return Number(min) >= INT32_MIN && Number(max) <= INT32_MAX;
  });
}

/** The file's top-level columns with their kinds, from the footer. */
export function parquetColumns(meta: FileMetaData, file: string): ParquetColumn[] {
  const [root, ...elements] = meta.schema;
  const columns: ParquetColumn[] = [];
  let leaf = 0;
  for (let i = 0; i < (root.num_children ?? 0); i++) {
    const e = elements.shift();
    if (!e) break;
    let kind = kindOf(e, file);
    if (kind === KIND_I53 && e.type === 'INT64' && fitsInt32(meta, leaf)) kind = KIND_I32;
    columns.push({ name: e.name, kind, parquetType: describe(e) });
    leaf++;
  }
  return columns;
}

/** The same columns in the same order with the same kinds, else an error naming the difference. */
export function checkSameColumns(first: { path: string; columns: ParquetColumn[] }, other: { path: string; columns: ParquetColumn[] }): void {
  const a = first.columns.map((c) => `${c.name} ${c.parquetType}`).join(', ');
  const b = other.columns.map((c) => `${c.name} ${c.parquetType}`).join(', ');
  if (a !== b) {
    throw new UserError(`${other.path}: columns differ from ${first.path} (all Parquet shards must have the same schema): ${b} vs ${a}`, { file: other.path, field: 'input' });
  }
}
