import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CSV = fileURLToPath(new URL('../../samples/taxi/data/taxi.csv', import.meta.url));

// DuckDB's CSV sniffer is an independent reader: if our quoting or types were off, it would disagree.
describe('samples/taxi CSV read by DuckDB', () => {
  it('has 15000 rows, 18 columns, the expected types and a ~25% big-tipper label', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    try {
      const cols = (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_csv('${CSV}')`)).getRowObjects();
      const types = Object.fromEntries(cols.map((c) => [String(c.column_name), String(c.column_type)]));
      assert.equal(cols.length, 18);
      assert.equal(types.company, 'VARCHAR');
      assert.equal(types.payment_type, 'VARCHAR');
      assert.equal(types.fare, 'DOUBLE');
      assert.match(types.trip_start_timestamp, /INT/);
      assert.match(types.pickup_census_tract, /INT/);
      const [row] = (await db.runAndReadAll(`SELECT count(*) AS n, avg((tips > 0.2 * fare)::INT) AS label,
        count(*) FILTER (WHERE company LIKE '%,%') AS comma_names FROM read_csv('${CSV}')`)).getRowObjects();
      assert.equal(Number(row.n), 15000);
      assert.ok(Number(row.label) > 0.2 && Number(row.label) < 0.3, `label ${row.label}`);
      assert.ok(Number(row.comma_names) > 0);
    } finally {
      db.closeSync();
    }
  });

  it('the bench helper summarizes it and reports time, memory and threads', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/duckdb-summarize.ts', CSV], { cwd: root, encoding: 'utf8' });
    const json = JSON.parse(out.trim().split('\n').pop() ?? '');
    assert.equal(json.rows, 15000);
    assert.equal(json.columns, 18);
    assert.ok(json.wallMs > 0 && json.peakRssMb > 0 && json.threads >= 1);
  });
});
