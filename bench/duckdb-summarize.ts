// The benchmark's reference: DuckDB's SUMMARIZE over the same CSV, in a process of its own so its
// memory is measured alone. Prints one JSON line: wall time, peak RSS, threads, rows summarized.
//
//   node --import tsx bench/duckdb-summarize.ts <file.csv>

import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) {
  console.error('usage: duckdb-summarize.ts <file.csv>');
  process.exit(2);
}

// Timed from instance creation to the last result row: what a user waits for, minus Node's start.
const started = performance.now();
const instance = await DuckDBInstance.create(':memory:'); // default settings: threads = cores
const connection = await instance.connect();
const threads = (await connection.runAndReadAll("SELECT current_setting('threads') AS t")).getRows()[0][0];
const summary = await connection.runAndReadAll(`SUMMARIZE SELECT * FROM read_csv('${file.replaceAll("'", "''")}')`);
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
