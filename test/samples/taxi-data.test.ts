import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTaxiRows, taxiCsvChunks, writeTaxiCsv } from '../../samples/taxi/generate.ts';

const COMMITTED = fileURLToPath(new URL('../../samples/taxi/data/taxi.csv', import.meta.url));

// The column order of TFX's taxi example data.csv, restated here on purpose.
const TFX_COLUMNS = [
  'pickup_community_area', 'fare', 'trip_start_month', 'trip_start_hour', 'trip_start_day',
  'trip_start_timestamp', 'pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude',
  'trip_miles', 'pickup_census_tract', 'dropoff_census_tract', 'payment_type', 'company', 'trip_seconds',
  'dropoff_community_area', 'tips',
];

const sha256 = (parts: Iterable<string | Buffer>): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/** RFC 4180 parser written independently of the generator's writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === '\n') {
      row.push(field);
      field = '';
      if (ch === '\n') {
        rows.push(row);
        row = [];
      }
    } else field += ch;
  }
  assert.equal(field + row.join(''), '', 'file must end with a newline');
  return rows;
}

describe('samples/taxi generator', () => {
  let header: string[];
  let records: Record<string, string>[];

  before(async () => {
    const [head, ...body] = parseCsv(await readFile(COMMITTED, 'utf8'));
    header = head;
    records = body.map((cells, i) => {
      assert.equal(cells.length, head.length, `line ${i + 2} has ${cells.length} fields`);
      return Object.fromEntries(head.map((name, j) => [name, cells[j]]));
    });
  });

  const rate = (test: (r: Record<string, string>) => boolean, rows = records) => rows.filter(test).length / rows.length;
  const num = (s: string) => Number(s);

  it('is deterministic: same seed gives identical bytes, another seed different ones', () => {
    const a = sha256(taxiCsvChunks(3000, 7));
    assert.equal(sha256(taxiCsvChunks(3000, 7)), a);
    assert.notEqual(sha256(taxiCsvChunks(3000, 8)), a);
    // Chunk size is a streaming detail, never part of the content.
    assert.equal(sha256(taxiCsvChunks(3000, 7, 100)), a);
  });

  it('the committed CSV is exactly what the generator makes now (15000 rows, seed 42)', async () => {
    assert.equal(sha256(taxiCsvChunks(15000, 42)), sha256([await readFile(COMMITTED)]));
  });

  it('writeTaxiCsv streams the same bytes to disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taxi-'));
    try {
      await writeTaxiCsv(join(dir, 'sub', 't.csv'), 2500, 3);
      assert.equal(sha256([await readFile(join(dir, 'sub', 't.csv'))]), sha256(taxiCsvChunks(2500, 3)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is lazy: asking for a billion rows yields the first ones at once', () => {
    const rows = generateTaxiRows(1e9, 1);
    assert.equal(rows.next().done, false);
  });

  it('has exactly the TFX columns in order, 15000 rows, and exercises CSV quoting', () => {
    assert.deepEqual(header, TFX_COLUMNS);
    assert.equal(records.length, 15000);
    assert.ok(records.some((r) => r.company.includes(',')), 'a company name with a comma');
    assert.ok(records.some((r) => r.company.includes('"')), 'a company name with a quote');
    assert.ok(new Set(records.map((r) => r.company).filter(Boolean)).size >= 35, 'about 40 companies');
  });

  it('the big-tipper label (tips > 0.2 × fare) is 20–30% positive', () => {
    const positive = rate((r) => num(r.tips) > 0.2 * num(r.fare));
    assert.ok(positive >= 0.2 && positive <= 0.3, `label rate ${positive}`);
  });

  it('cash almost never records tips; card riders tip far more', () => {
    const cash = records.filter((r) => r.payment_type === 'Cash');
    const card = records.filter((r) => r.payment_type === 'Credit Card');
    assert.ok(cash.length > 0.3 * records.length && card.length > 0.3 * records.length);
    assert.ok(rate((r) => num(r.tips) > 0, cash) < 0.01);
    assert.ok(rate((r) => num(r.tips) > 0.2 * num(r.fare), card) > 0.45);
    const types = new Set(records.map((r) => r.payment_type));
    for (const t of ['Credit Card', 'Cash', 'No Charge', 'Dispute', 'Unknown', 'Prcard', 'Mobile']) assert.ok(types.has(t), t);
  });

  it('the label also depends on fare and company', () => {
    const card = records.filter((r) => r.payment_type === 'Credit Card');
    const label = (r: Record<string, string>) => num(r.tips) > 0.2 * num(r.fare);
    assert.ok(rate(label, card.filter((r) => num(r.fare) < 10)) - rate(label, card.filter((r) => num(r.fare) > 30)) > 0.1);
    const byCompany = new Map<string, Record<string, string>[]>();
    for (const r of card) if (r.company) byCompany.set(r.company, [...(byCompany.get(r.company) ?? []), r]);
    const rates = [...byCompany.values()].filter((rows) => rows.length >= 150).map((rows) => rate(label, rows));
    assert.ok(Math.max(...rates) - Math.min(...rates) > 0.15, `company label rates ${rates.map((x) => x.toFixed(2))}`);
  });

  it('has realistic missing values', () => {
    const within = (name: string, value: number, lo: number, hi: number) =>
      assert.ok(value >= lo && value <= hi, `${name} missing rate ${value.toFixed(4)} not in [${lo}, ${hi}]`);
    within('company', rate((r) => r.company === ''), 0.29, 0.38);
    within('pickup_census_tract', rate((r) => r.pickup_census_tract === ''), 0.26, 0.34);
    within('dropoff_census_tract', rate((r) => r.dropoff_census_tract === ''), 0.26, 0.34);
    within('pickup lat/long', rate((r) => r.pickup_latitude === ''), 0.01, 0.03);
    within('dropoff lat/long', rate((r) => r.dropoff_latitude === ''), 0.01, 0.03);
    within('dropoff_community_area', rate((r) => r.dropoff_community_area === ''), 0.02, 0.06);
    // Latitude and longitude go missing together.
    assert.equal(rate((r) => (r.pickup_latitude === '') !== (r.pickup_longitude === '')), 0);
    assert.equal(rate((r) => (r.dropoff_latitude === '') !== (r.dropoff_longitude === '')), 0);
    // Columns that are never missing.
    for (const c of ['fare', 'trip_start_month', 'trip_start_hour', 'trip_start_day', 'trip_start_timestamp', 'payment_type', 'trip_seconds', 'tips']) {
      assert.equal(rate((r) => r[c] === ''), 0, c);
    }
  });

  it('time columns agree with the timestamp (UTC), days are 1–7 from Sunday, hours follow a daily profile', () => {
    const hours = new Array(24).fill(0);
    for (const r of records) {
      const d = new Date(num(r.trip_start_timestamp) * 1000);
      assert.equal(num(r.trip_start_month), d.getUTCMonth() + 1);
      assert.equal(num(r.trip_start_hour), d.getUTCHours());
      assert.equal(num(r.trip_start_day), d.getUTCDay() + 1);
      assert.ok(d.getUTCFullYear() >= 2013 && d.getUTCFullYear() <= 2016);
      hours[d.getUTCHours()]++;
    }
    assert.ok(hours[18] > 3 * hours[5], `evening peak vs 5am: ${hours[18]} vs ${hours[5]}`);
    assert.equal(new Set(records.map((r) => r.trip_start_month)).size, 12);
  });

  it('locations are in Chicago and fares follow the meter (flag + per mile + per minute)', () => {
    for (const r of records) {
      if (r.pickup_latitude) {
        assert.ok(num(r.pickup_latitude) > 41.6 && num(r.pickup_latitude) < 42.05, r.pickup_latitude);
        assert.ok(num(r.pickup_longitude) > -87.95 && num(r.pickup_longitude) < -87.5, r.pickup_longitude);
      }
      const area = r.pickup_community_area;
      if (area) assert.ok(num(area) >= 1 && num(area) <= 77 && Number.isInteger(num(area)));
      if (r.pickup_census_tract) assert.match(r.pickup_census_tract, /^17031\d{6}$/);
      const meter = 3.25 + 2.25 * num(r.trip_miles) + 0.2 * (num(r.trip_seconds) / 36);
      if (num(r.trip_miles) > 0) assert.ok(num(r.fare) >= meter - 0.1 && num(r.fare) <= meter + 5.1, `fare ${r.fare} vs meter ${meter}`);
    }
    // Loop/Near North trips dominate, like the real data.
    assert.ok(rate((r) => r.pickup_community_area === '8' || r.pickup_community_area === '32') > 0.3);
  });
});
