/** Parquet test files, written with libraries: hyparquet-writer (snappy, uncompressed) and DuckDB (gzip, zstd). */
import { writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteBuffer } from 'hyparquet-writer';

export type Cell = string | number | boolean | bigint | null;
export interface ParquetColumnDef {
  name: string;
  type: 'INT32' | 'INT64' | 'DOUBLE' | 'FLOAT' | 'STRING' | 'BOOLEAN' | 'TIMESTAMP';
  data: Cell[];
}

export function writeParquet(path: string, columns: ParquetColumnDef[], options: { codec?: 'SNAPPY' | 'UNCOMPRESSED'; rowGroupSize?: number } = {}): void {
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: c.name, type: c.type, data: c.data as any, nullable: true })),
    codec: options.codec ?? 'SNAPPY',
    rowGroupSize: options.rowGroupSize ?? 100_000,
  });
  writeFileSync(path, new Uint8Array(buffer));
}

/** DuckDB rewrites a Parquet (or CSV) file with another codec and row group size; V2: data page v2 and delta / byte-stream-split encodings. */
export async function rewriteWithDuckdb(from: string, to: string, codec: 'gzip' | 'zstd' | 'snappy', rowGroupSize = 122_880, version: 'V1' | 'V2' = 'V1'): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
    await connection.run(`COPY (SELECT * FROM ${q(from)}) TO ${q(to)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${rowGroupSize}, PARQUET_VERSION ${version})`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
