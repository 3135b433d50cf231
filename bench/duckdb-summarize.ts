// The benchmark's reference: DuckDB's SUMMARIZE over the same CSV (or Parquet file), in a process
// of its own so its memory is measured alone. Prints one JSON line: wall time, peak RSS, threads,
// rows summarized. With --to-parquet, writes the CSV as Parquet instead (the Parquet benchmark's
// input: numbers and strings only, as Tributary infers them from the CSV).
//
//   node --import tsx bench/duckdb-summarize.ts <file.csv | file.parquet>
//   node --import tsx bench/duckdb-summarize.ts --to-parquet <file.csv> <out.parquet>

import { DuckDBInstance } from '@duckdb/node-api';

const toParquet = process.argv[2] === '--to-parquet';
const file = process.argv[toParquet ? 3 : 2];
if (!file || (toParquet && !process.argv[4])) {
  console.error('usage: duckdb-summarize.ts <file.csv | file.parquet> | --to-parquet <file.csv> <out.parquet>');
  process.exit(2);
}
const quoted = (path: string) => `'${path.replaceAll("'", "''")}'`;
if (toParquet) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT * FROM read_csv(${quoted(file)}, auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])) TO ${quoted(process.argv[4])} (FORMAT parquet, COMPRESSION snappy)`,
  );
  connection.closeSync();
  console.log(JSON.stringify({ written: process.argv[4] }));
  process.exit(0);
}
const reader = file.endsWith('.parquet') ? `read_parquet(${quoted(file)})` : `read_csv(${quoted(file)})`;

// Timed from instance creation to the last result row: what a user waits for, minus Node's start.
const started = performance.now();
const instance = await DuckDBInstance.create(':memory:'); // default settings: threads = cores
const connection = await instance.connect();
const threads = (await connection.runAndReadAll("SELECT current_setting('threads') AS t")).getRows()[0][0];
const summary = await connection.runAndReadAll(`SUMMARIZE SELECT * FROM ${reader}`);
const columns = summary.getRowObjects();
const wallMs = performance.now() - started;
connection.closeSync();

console.log(JSON.stringify({
  wallMs: Math.round(wallMs),
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  threads: Number(threads),
  columns: columns.length,
  rows: Number(columns[0]?.count ?? 0),
}));
