/** Builds Arrow shards in the Examples layout for tests, independent of any ExampleGen. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dictionary, Field, Float64, Int32, Schema, Table, tableToIPC, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { ARROW_TYPE_METADATA_KEY, shardFileName, splitDir } from '../../runtime/src/formats/examples.ts';

export type Cell = number | string | null;
export interface ColumnDef {
  name: string;
  type: 'INT' | 'FLOAT' | 'STRING';
  /** INT stored as Float64 with the tributary.type=INT marker instead of Int32. */
  intAsFloat?: boolean;
  values: Cell[];
}

function vectorOf(c: ColumnDef): Vector {
  if (c.type === 'STRING') return vectorFromArray(c.values as (string | null)[], new Dictionary(new Utf8(), new Int32()));
  if (c.type === 'INT' && !c.intAsFloat) return vectorFromArray(c.values as (number | null)[], new Int32());
  return vectorFromArray(c.values as (number | null)[], new Float64());
}

/** One Arrow IPC file holding the columns (all of the same length). */
export function shardBytes(columns: ColumnDef[]): Uint8Array {
  const vectors = columns.map(vectorOf);
  const fields = columns.map(
    (c, i) => new Field(c.name, vectors[i].type, true, c.type === 'INT' && c.intAsFloat ? new Map([[ARROW_TYPE_METADATA_KEY, 'INT']]) : new Map()),
  );
  const plain = new Table(Object.fromEntries(columns.map((c, i) => [c.name, vectors[i]])));
  // Re-wrap the batches under a schema that carries the field metadata.
  return tableToIPC(new Table(new Schema(fields), plain.batches), 'file');
}

/** Writes `<uri>/Split-<split>/part-NNNNN.arrow`, one shard per element of `shards`. */
export function writeSplit(uri: string, split: string, shards: ColumnDef[][]): string[] {
  const dir = splitDir(uri, split);
  mkdirSync(dir, { recursive: true });
  return shards.map((cols, i) => {
    const file = join(dir, shardFileName(i));
    writeFileSync(file, shardBytes(cols));
    return file;
  });
}
