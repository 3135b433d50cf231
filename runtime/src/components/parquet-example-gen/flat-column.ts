/**
 * A fast path for the common Parquet column: flat (not nested), of a plain number or string type.
 * hyparquet's generic column reader turns every page into a JS array of boxed values (one BigInt
 * per INT64 value), decodes levels and dictionary indices into JS arrays one byte at a time, and
 * rebuilds the rows through its Dremel assembly to place the nulls. Here hyparquet only parses the
 * page headers and decompresses; the pages are decoded straight into typed arrays:
 * - definition levels and dictionary indices into Int32Arrays (hybrid.ts);
 * - PLAIN numbers through typed-array views (INT64 as two int32 halves: no BigInt);
 * - strings never leave their page: a row is an index into the dictionary page's entries (or the
 *   plain values' byte views), so a repeated string is one entry however many rows hold it.
 * Pages of any other encoding (delta, byte stream split) go through hyparquet's page decoder and
 * join the same arrays. Any other column (booleans, decimals, unsigned, time, lists) takes the
 * generic path in read-rows.ts.
 */
import type { ColumnChunk, Compressors, FileMetaData, SchemaElement } from 'hyparquet';
import { HybridError, readHybrid } from './hybrid.ts';

/** hyparquet's page functions, loaded on first use: hyparquet is an ES module only (see read-rows.ts). */
export interface PageLib {
  parquetHeader: typeof import('hyparquet/src/column.js').parquetHeader;
  decompressPage: typeof import('hyparquet/src/datapage.js').decompressPage;
  readDataPage: typeof import('hyparquet/src/datapage.js').readDataPage;
  readDataPageV2: typeof import('hyparquet/src/datapage.js').readDataPageV2;
  getMaxDefinitionLevel: typeof import('hyparquet/src/schema.js').getMaxDefinitionLevel;
  getSchemaPath: typeof import('hyparquet/src/schema.js').getSchemaPath;
}

export async function loadPageLib(): Promise<PageLib> {
  const [column, datapage, schema] = await Promise.all([import('hyparquet/src/column.js'), import('hyparquet/src/datapage.js'), import('hyparquet/src/schema.js')]);
  return { ...column, ...datapage, ...schema };
}

const TWO_32 = 2 ** 32;
const MAX_SAFE = 2 ** 53;

/** A numeric column's cells as float64; present[i] = 0 marks a null. */
export interface Numbers {
  x: Float64Array;
  present: Uint8Array;
}

/** A string column's cells: row i holds values[ids[i]], or null where ids[i] = -1. Entries are shared by every row that holds them. */
export interface Strings {
  ids: Int32Array;
  values: Uint8Array[];
}

/** An INT64 value beyond ±2^53 at `index` of the decoded range (the caller names file, row and column). */
export class UnsafeInteger extends Error {
  constructor(
    readonly index: number,
    readonly value: string,
  ) {
    super(`${value} is beyond ±2^53`);
  }
}

/** Whether the fast path reads this top-level column (else hyparquet's generic reader does). */
export function isFlatPlain(e: SchemaElement): boolean {
  if (e.num_children || e.repetition_type === 'REPEATED') return false;
  const c = e.converted_type;
  const l = e.logical_type;
  switch (e.type) {
    case 'INT32':
    case 'INT64':
      return (!c || c === 'INT_8' || c === 'INT_16' || c === 'INT_32' || c === 'INT_64') && (!l || (l.type === 'INTEGER' && l.isSigned));
    case 'FLOAT':
    case 'DOUBLE':
      return !c && !l;
    case 'BYTE_ARRAY':
      return (!c || c === 'UTF8' || c === 'ENUM') && (!l || l.type === 'STRING' || l.type === 'ENUM');
    default:
      return false;
  }
}

type NumberType = 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE';

/**
 * Decoded numbers of a page or dictionary. `unsafe` maps the index of each INT64 value beyond
 * ±2^53 to its exact text: an error only if a row of the range uses it (a dictionary may hold
 * one no row uses).
 */
interface PageNumbers {
  values: Float64Array;
  unsafe?: Map<number, string>;
}

/** `count` PLAIN values from page[pos]: typed-array views (little-endian, as Parquet and every platform Node runs on). */
function plainNumbers(page: Uint8Array, pos: number, type: NumberType, count: number): PageNumbers {
  const width = type === 'INT32' || type === 'FLOAT' ? 4 : 8;
  if (pos + count * width > page.length) throw new HybridError(`PLAIN values are cut off (${count} values of ${width} bytes from byte ${pos} of ${page.length})`);
  // A view needs an aligned offset: else a copy (slice) starts a fresh, aligned buffer.
  const aligned = (page.byteOffset + pos) % width === 0;
  const source = aligned ? page : page.slice(pos, pos + count * width);
  const offset = aligned ? page.byteOffset + pos : 0;
  if (type === 'DOUBLE') return { values: new Float64Array(source.buffer, offset, count) };
  if (type === 'FLOAT') return { values: Float64Array.from(new Float32Array(source.buffer, offset, count)) };
  if (type === 'INT32') return { values: Float64Array.from(new Int32Array(source.buffer, offset, count)) };
  const halves = new Int32Array(source.buffer, offset, count * 2);
  const values = new Float64Array(count);
  let unsafe: Map<number, string> | undefined;
  for (let i = 0; i < count; i++) {
    const v = halves[2 * i + 1] * TWO_32 + (halves[2 * i] >>> 0);
    if (v > MAX_SAFE || v < -MAX_SAFE) {
      unsafe ??= new Map();
      unsafe.set(i, BigInt.asIntN(64, (BigInt(halves[2 * i + 1]) << 32n) | BigInt(halves[2 * i] >>> 0)).toString());
    }
    values[i] = v;
  }
  return { values, unsafe };
}

/** `count` PLAIN byte arrays (4-byte length, then the bytes) from page[pos], as views, appended to `into`. */
function plainBytes(page: Uint8Array, pos: number, count: number, into: Uint8Array[]): void {
  for (let i = 0; i < count; i++) {
    if (pos + 4 > page.length) throw new HybridError(`PLAIN strings are cut off after ${i} of ${count}`);
    const length = (page[pos] | (page[pos + 1] << 8) | (page[pos + 2] << 16) | (page[pos + 3] << 24)) >>> 0;
    pos += 4;
    if (pos + length > page.length) throw new HybridError(`PLAIN string ${i} is cut off`);
    into.push(page.subarray(pos, pos + length));
    pos += length;
  }
}

/** hyparquet's decoded values (other encodings) as PageNumbers. */
function genericNumbers(values: ArrayLike<unknown>): PageNumbers {
  if (values instanceof Float64Array) return { values };
  const out = new Float64Array(values.length);
  let unsafe: Map<number, string> | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = Number(v);
    if (typeof v === 'bigint' && (n > MAX_SAFE || n < -MAX_SAFE)) {
      unsafe ??= new Map();
      unsafe.set(i, v.toString());
    }
    out[i] = n;
  }
  return { values: out, unsafe };
}

const uint32 = (b: Uint8Array, p: number) => (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;

/** Scratch arrays for a page's levels and indices, grown as needed (one page is decoded at a time). */
let levelScratch: Int32Array = new Int32Array(1024);
let indexScratch: Int32Array = new Int32Array(1024);
const scratch = (a: Int32Array, n: number): Int32Array => (a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2)));

/**
 * Rows [from, to) of row group `group` of a flat plain column, from the column chunk's bytes.
 * Pages wholly before `from` are skipped undecoded; decoding stops at `to`.
 */
export function readFlatColumn(
  lib: PageLib,
  bytes: ArrayBuffer,
  meta: FileMetaData,
  group: number,
  name: string,
  from: number,
  to: number,
  compressors: Compressors,
): Numbers | Strings {
  const chunk = meta.row_groups[group].columns.find((c: ColumnChunk) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === name)!.meta_data!;
  const { parquetHeader, decompressPage, readDataPage, readDataPageV2 } = lib;
  const schemaPath = lib.getSchemaPath(meta.schema, [name]);
  const element = schemaPath[schemaPath.length - 1].element;
  const decoder = { pathInSchema: [name], type: chunk.type, element, schemaPath, codec: chunk.codec, compressors, parsers: { stringFromBytes: (b: Uint8Array) => b } as never };
  const maxDefinition = lib.getMaxDefinitionLevel(schemaPath);
  const levelWidth = 32 - Math.clz32(maxDefinition);
  const strings = chunk.type === 'BYTE_ARRAY';
  const type = chunk.type as NumberType;
  const n = to - from;
  const x = strings ? undefined : new Float64Array(n);
  const present = strings ? undefined : new Uint8Array(n);
  const ids = strings ? new Int32Array(n).fill(-1) : undefined;
  /** Strings: the dictionary's entries, then each PLAIN page's values. */
  const pool: Uint8Array[] = [];
  let dictionary: PageNumbers | undefined;
  let dictionarySize = 0;
  const reader = { view: new DataView(bytes), offset: 0 };
  const all = new Uint8Array(bytes);
  let row = 0;
  while (row < to && reader.offset < bytes.byteLength) {
    const header = parquetHeader(reader);
    const compressed = all.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(compressed, Number(header.uncompressed_page_size), chunk.codec, compressors);
      dictionarySize = header.dictionary_page_header!.num_values;
      pool.length = 0;
      if (strings) plainBytes(page, 0, dictionarySize, pool);
      else dictionary = plainNumbers(page, 0, type, dictionarySize);
      continue;
    }
    if (header.type !== 'DATA_PAGE' && header.type !== 'DATA_PAGE_V2') continue;
    const v1 = header.type === 'DATA_PAGE';
    const v2 = header.data_page_header_v2;
    const count = v1 ? header.data_page_header!.num_values : v2!.num_rows;
    if (row + count <= from) {
      row += count;
      continue;
    }
    const encoding = v1 ? header.data_page_header!.encoding : v2!.encoding;
    const dictionaryEncoded = encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY';
    const own = encoding === 'PLAIN' || dictionaryEncoded;

    // Definition levels, then the values' section.
    let levels: Int32Array | undefined;
    let page: Uint8Array;
    let pos = 0;
    let genericValues: ArrayLike<unknown> | undefined;
    if (!own) {
      const decoded = v1
        ? readDataPage(decompressPage(compressed, Number(header.uncompressed_page_size), chunk.codec, compressors), header.data_page_header!, decoder)
        : readDataPageV2(compressed, header, decoder);
      if (decoded.definitionLevels?.length) levels = Int32Array.from(decoded.definitionLevels);
      genericValues = decoded.dataPage as ArrayLike<unknown>;
      page = compressed;
    } else if (v1) {
      page = decompressPage(compressed, Number(header.uncompressed_page_size), chunk.codec, compressors);
      if (maxDefinition > 0) {
        const length = uint32(page, 0);
        levels = levelScratch = scratch(levelScratch, count);
        readHybrid(page, 4, 4 + length, levelWidth, levels, count);
        pos = 4 + length;
      }
    } else {
      const levelBytes = v2!.repetition_levels_byte_length + v2!.definition_levels_byte_length;
      if (maxDefinition > 0) {
        levels = levelScratch = scratch(levelScratch, count);
        readHybrid(compressed, v2!.repetition_levels_byte_length, levelBytes, levelWidth, levels, count);
      }
      const size = header.uncompressed_page_size - levelBytes;
      page = v2!.is_compressed !== false && size ? decompressPage(compressed.subarray(levelBytes), size, chunk.codec, compressors) : compressed.subarray(levelBytes);
    }
    let nonNull = count;
    if (levels) for (let k = 0; k < count; k++) if (levels[k] !== maxDefinition) nonNull--;

    // The page's values: numbers, or (strings) ids into the pool; `indices` for a dictionary page.
    let values: PageNumbers | undefined;
    let indices: Int32Array | undefined;
    let base = 0;
    if (dictionaryEncoded) {
      if (dictionarySize === 0 && nonNull > 0) throw new HybridError('a dictionary-encoded page comes without a dictionary page');
      indices = indexScratch = scratch(indexScratch, nonNull);
      if (nonNull > 0) readHybrid(page, pos + 1, page.length, page[pos], indices, nonNull);
      for (let k = 0; k < nonNull; k++) {
        if (indices[k] >>> 0 >= dictionarySize) throw new HybridError(`dictionary index ${indices[k]} is beyond the dictionary's ${dictionarySize} entries`);
      }
      values = dictionary;
    } else if (strings) {
      base = pool.length;
      if (genericValues) for (let k = 0; k < genericValues.length; k++) pool.push(genericValues[k] as Uint8Array);
      else plainBytes(page, pos, nonNull, pool);
    } else values = genericValues ? genericNumbers(genericValues) : plainNumbers(page, pos, type, nonNull);

    // Rows of this page within [from, to): skip the values of earlier rows, then place each.
    const first = Math.max(row, from) - row;
    const last = Math.min(row + count, to) - row;
    let v = 0;
    if (levels) for (let k = 0; k < first; k++) v += levels[k] === maxDefinition ? 1 : 0;
    else v = first;
    const unsafe = values?.unsafe;
    for (let k = first; k < last; k++) {
      if (levels && levels[k] !== maxDefinition) continue; // x = 0, present = 0 / ids = -1 already
      const at = row + k - from;
      const entry = indices ? indices[v] : v;
      v++;
      if (strings) {
        ids![at] = indices ? entry : base + entry;
        continue;
      }
      if (unsafe?.has(entry)) throw new UnsafeInteger(at, unsafe.get(entry)!);
      x![at] = values!.values[entry];
      present![at] = 1;
    }
    row += count;
  }
  return strings ? { ids: ids!, values: pool } : { x: x!, present: present! };
}
