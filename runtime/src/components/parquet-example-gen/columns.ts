/**
 * Parquet column types → Tributary's column kinds (runtime/src/formats/examples.ts). A Parquet LIST
 * of a primitive type (the standard three-level form, the two-level legacy forms and a bare
 * repeated field) becomes a list column, as ImportExampleGen's variable-length features do; a
 * struct, a map, or a list of structs or lists is a clear error naming the column and the file, as
 * are time types (cast them to a string or an integer upstream: their meaning as a feature is the
 * pipeline's choice).
 */
import type { ColumnChunk, FileMetaData, SchemaElement } from 'hyparquet';
import { UserError } from '../../core/errors.ts';
import { KIND_F64, KIND_I32, KIND_I53, KIND_STR } from '../csv-example-gen/values.ts';

export interface ParquetColumn {
  name: string;
  kind: number;
  /** Parquet's physical and logical type, for messages. */
  parquetType: string;
  /** A list column: `kind` is its values' kind. */
  list?: boolean;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function describe(e: SchemaElement): string {
  const logical = e.logical_type?.type ?? e.converted_type;
  return logical ? `${e.type ?? 'group'} (${logical})` : String(e.type ?? 'group');
}

function kindOf(e: SchemaElement, file: string, column = e.name, inList = false): number {
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  const unsupported = (why: string) =>
    new UserError(`${file}: column "${column}" has Parquet type ${describe(e)}: ${why}`, { file, field: 'input' });
  if (e.num_children || logical === 'LIST' || logical === 'MAP' || converted === 'LIST' || converted === 'MAP' || converted === 'MAP_KEY_VALUE') {
    throw unsupported(
      !inList
        ? 'structs and maps are not read by ParquetExampleGen; flatten them into columns of their own when writing the file'
        : 'a list of structs, maps or lists is not read by ParquetExampleGen; a list column must hold numbers or strings',
    );
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
  let at = 0;
  let leaf = 0;
  // The schema is the tree in depth-first order: a column's subtree follows it.
  const subtree = (): SchemaElement[] => {
    const out = [elements[at++]];
    for (let k = 0, n = out[0].num_children ?? 0; k < n; k++) out.push(...subtree());
    return out;
  };
  for (let i = 0; i < (root.num_children ?? 0) && at < elements.length; i++) {
    const tree = subtree();
    const e = tree[0];
    const element = listElement(tree);
    const list = element !== undefined;
    let kind = kindOf(element ?? e, file, e.name, list);
    const valueLeaf = leaf + tree.slice(0, tree.indexOf(element ?? e)).filter((x) => !x.num_children).length;
    if (kind === KIND_I53 && (element ?? e).type === 'INT64' && fitsInt32(meta, valueLeaf)) kind = KIND_I32;
    columns.push({ name: e.name, kind, parquetType: list ? `LIST<${describe(element)}>` : describe(e), ...(list ? { list: true } : {}) });
    leaf += tree.filter((x) => !x.num_children).length;
  }
  return columns;
}

/**
 * The element of a list column (undefined for a scalar column): a bare repeated primitive, or a
 * LIST group whose repeated child is the element (two levels) or holds it (three levels). A
 * group that is none of these is returned as is, so kindOf names it as nested.
 */
function listElement(tree: SchemaElement[]): SchemaElement | undefined {
  const [e, repeated, inner] = tree;
  if (!e.num_children) return e.repetition_type === 'REPEATED' ? e : undefined;
  const isList = e.logical_type?.type === 'LIST' || e.converted_type === 'LIST';
  if (!isList || e.num_children !== 1 || repeated.repetition_type !== 'REPEATED') return undefined;
  if (!repeated.num_children) return repeated;
  // Three levels: the repeated group holds one element (which may itself be nested: kindOf rejects it).
  return repeated.num_children === 1 && !(repeated.name === 'array' || repeated.name.endsWith('_tuple')) ? inner : repeated;
}

/** The same columns in the same order with the same kinds, else an error naming the difference. */
export function checkSameColumns(first: { path: string; columns: ParquetColumn[] }, other: { path: string; columns: ParquetColumn[] }): void {
  const a = first.columns.map((c) => `${c.name} ${c.parquetType}`).join(', ');
  const b = other.columns.map((c) => `${c.name} ${c.parquetType}`).join(', ');
  if (a !== b) {
    throw new UserError(`${other.path}: columns differ from ${first.path} (all Parquet shards must have the same schema): ${b} vs ${a}`, { file: other.path, field: 'input' });
  }
}
