/** Test fixtures for the model components: transformed-example shards and a tiny transform graph. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Float32, Float64, Int32, makeVector, Table, tableToIPC } from 'apache-arrow';

export type ShardColumns = Record<string, Float32Array | Float64Array | Int32Array>;

/** Writes one Arrow IPC file per entry of `shards` (columns as given) and returns the paths. */
export function writeShards(dir: string, shards: ShardColumns[]): string[] {
  mkdirSync(dir, { recursive: true });
  return shards.map((cols, i) => {
    const vectors = Object.fromEntries(
      Object.entries(cols).map(([k, v]) => [
        k,
        v instanceof Int32Array ? makeVector({ type: new Int32(), data: v }) : v instanceof Float32Array ? makeVector({ type: new Float32(), data: v }) : makeVector({ type: new Float64(), data: v }),
      ]),
    );
    const file = join(dir, `part-${String(i).padStart(5, '0')}.arrow`);
    writeFileSync(file, tableToIPC(new Table(vectors), 'file'));
    return file;
  });
}

/** Splits columns into shards of at most `rowsPerShard` rows. */
export function shardColumns(cols: ShardColumns, rowsPerShard: number): ShardColumns[] {
  const n = Object.values(cols)[0].length;
  const out: ShardColumns[] = [];
  for (let s = 0; s < n; s += rowsPerShard) {
    out.push(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.slice(s, Math.min(n, s + rowsPerShard))])) as ShardColumns);
  }
  return out;
}
