/**
 * A fast path for the common Parquet column: flat (not nested), of a plain number or string type.
 * hyparquet's generic column reader turns every page into a JS array of boxed values (one BigInt
 * per INT64 value) and rebuilds it through its Dremel assembly to place the nulls: in a profile of
 * the 200k-row benchmark file that was most of ParquetExampleGen's time. Here the same hyparquet
 * page functions (header, decompression, levels, encodings: its public `src/*.js` modules) decode
 * the pages, and values go straight into a Float64Array with a presence mask (INT64 read as two
 * int32 halves, no BigInt) or, for strings, an array of the raw UTF-8 bytes, as the generic path
 * gives them. Any other column (booleans, decimals, unsigned, time, lists) takes the generic path.
 */
import type { ColumnChunk, Compressors, FileMetaData, SchemaElement } from 'hyparquet';

/** hyparquet's page functions, loaded on first use: hyparquet is an ES module only (see read-rows.ts). */
export interface PageLib {
  parquetHeader: typeof import('hyparquet/src/column.js').parquetHeader;
  decompressPage: typeof import('hyparquet/src/datapage.js').decompressPage;
  readDataPage: typeof import('hyparquet/src/datapage.js').readDataPage;
  readDataPageV2: typeof import('hyparquet/src/datapage.js').readDataPageV2;
  readPlain: typeof import('hyparquet/src/plain.js').readPlain;
  getMaxDefinitionLevel: typeof import('hyparquet/src/schema.js').getMaxDefinitionLevel;
  getSchemaPath: typeof import('hyparquet/src/schema.js').getSchemaPath;
}

export async function loadPageLib(): Promise<PageLib> {
  const [column, datapage, plain, schema] = await Promise.all([
    import('hyparquet/src/column.js'),
    import('hyparquet/src/datapage.js'),
    import('hyparquet/src/plain.js'),
    import('hyparquet/src/schema.js'),
  ]);
  return { ...column, ...datapage, ...plain, ...schema };
}

const TWO_32 = 2 ** 32;
const MAX_SAFE = 2 ** 53;

/** A numeric column's cells as float64; present[i] = 0 marks a null. */
export interface Numbers {
  x: Float64Array;
  present: Uint8Array;
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

type Values = ArrayLike<unknown> & { length: number };

/**
 * Numbers of a decoded page or dictionary (INT64 through int32 halves: no BigInt per value).
 * `unsafe` collects the indexes of INT64 values beyond ±2^53 (a dictionary may hold one no row uses).
 */
function toNumbers(values: Values, unsafe?: Set<number>): Float64Array {
  if (values instanceof Float64Array) return values;
  if (values instanceof BigInt64Array) {
    const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = halves[2 * i + 1] * TWO_32 + (halves[2 * i] >>> 0);
      if (v > MAX_SAFE || v < -MAX_SAFE) {
        if (!unsafe) throw new UnsafeInteger(i, values[i].toString());
        unsafe.add(i);
      }
      out[i] = v;
    }
    return out;
  }
  return Float64Array.from(values as ArrayLike<number>);
}

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
): Numbers | (Uint8Array | null)[] {
  const chunk = meta.row_groups[group].columns.find((c: ColumnChunk) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === name)!.meta_data!;
  const { parquetHeader, decompressPage, readDataPage, readDataPageV2, readPlain } = lib;
  const schemaPath = lib.getSchemaPath(meta.schema, [name]);
  const element = schemaPath[schemaPath.length - 1].element;
  const decoder = { pathInSchema: [name], type: chunk.type, element, schemaPath, codec: chunk.codec, compressors, parsers: undefined as never };
  const maxDefinition = lib.getMaxDefinitionLevel(schemaPath);
  const strings = chunk.type === 'BYTE_ARRAY';
  const n = to - from;
  const x = strings ? undefined : new Float64Array(n);
  const present = strings ? undefined : new Uint8Array(n);
  const texts = strings ? new Array<Uint8Array | null>(n).fill(null) : undefined;
  let dictionary: Float64Array | Uint8Array[] | undefined;
  let dictionaryValues: Values | undefined;
  const unsafeEntries = new Set<number>();
  const reader = { view: new DataView(bytes), offset: 0 };
  let row = 0;
  while (row < to && reader.offset < bytes.byteLength) {
    const header = parquetHeader(reader);
    const compressed = new Uint8Array(bytes, reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(compressed, Number(header.uncompressed_page_size), chunk.codec, compressors);
      const plain = readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, chunk.type, header.dictionary_page_header!.num_values, element.type_length);
      dictionaryValues = plain as Values;
      dictionary = strings ? (plain as Uint8Array[]) : toNumbers(dictionaryValues, unsafeEntries);
      continue;
    }
    if (header.type !== 'DATA_PAGE' && header.type !== 'DATA_PAGE_V2') continue;
    const v1 = header.type === 'DATA_PAGE';
    const count = v1 ? header.data_page_header!.num_values : header.data_page_header_v2!.num_rows;
    if (row + count <= from) {
      row += count;
      continue;
    }
    const encoding = v1 ? header.data_page_header!.encoding : header.data_page_header_v2!.encoding;
    const { definitionLevels: levelsRead, dataPage } = v1
      ? readDataPage(decompressPage(compressed, Number(header.uncompressed_page_size), chunk.codec, compressors), header.data_page_header!, decoder)
      : readDataPageV2(compressed, header, decoder);
    const levels = levelsRead?.length ? levelsRead : undefined;
    const dictionaryEncoded = dictionary !== undefined && encoding.endsWith('_DICTIONARY');
    const page = dataPage as Values;
    let pageNumbers: Float64Array | undefined;
    if (!strings && !dictionaryEncoded) {
      try {
        pageNumbers = toNumbers(page);
      } catch (e) {
        if (!(e instanceof UnsafeInteger)) throw e;
        // Name the row: the value's position among the page's non-null values → its row.
        let k = 0;
        for (let j = 0, seen = -1; j < count; j++) if ((!levels || levels[j] === maxDefinition) && ++seen === e.index) k = j;
        throw new UnsafeInteger(row + k - from, e.value);
      }
    }
    let value = 0;
    for (let k = 0; k < count; k++, row++) {
      const isPresent = !levels || levels[k] === maxDefinition;
      const at = row - from;
      if (!isPresent) continue; // x = 0, present = 0 / texts = null already
      const index = value++;
      if (at < 0 || row >= to) continue;
      if (strings) texts![at] = dictionaryEncoded ? (dictionary as Uint8Array[])[page[index] as number] : (page[index] as Uint8Array);
      else {
        if (dictionaryEncoded) {
          const entry = page[index] as number;
          if (unsafeEntries.has(entry)) throw new UnsafeInteger(at, String(dictionaryValues![entry]));
          x![at] = (dictionary as Float64Array)[entry];
        } else x![at] = pageNumbers![index];
        present![at] = 1;
      }
    }
  }
  return strings ? texts! : { x: x!, present: present! };
}
