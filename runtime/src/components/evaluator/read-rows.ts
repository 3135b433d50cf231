/** Reads a split of an Examples artifact as raw row objects, the shape a serving request has. */
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { listShards } from '../../formats/examples.ts';
import { UserError } from '../../core/errors.ts';

export type RawRow = Record<string, string | number | null>;

export function readSplitRows(uri: string, split: string, limit = Infinity): RawRow[] {
  let files: string[];
  try {
    files = listShards(uri, split);
  } catch (e) {
    throw new UserError(`Examples at ${uri} have no split "${split}": ${(e as Error).message}`, { file: uri });
  }
  const rows: RawRow[] = [];
  for (const file of files) {
    let table;
    try {
      table = tableFromIPC(readFileSync(file));
    } catch (e) {
      throw new UserError(`Cannot read Arrow shard ${file}: ${(e as Error).message}`, { file });
    }
    const columns = table.schema.fields.map((f) => ({ name: f.name, vector: table.getChild(f.name)! }));
    for (let i = 0; i < table.numRows && rows.length < limit; i++) {
      const row: RawRow = {};
      for (const { name, vector } of columns) {
        const v = vector.get(i);
        row[name] = v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as string | number);
      }
      rows.push(row);
    }
    if (rows.length >= limit) break;
  }
  return rows;
}
