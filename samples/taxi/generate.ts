// Deterministic generator of Chicago-taxi-like trips with exactly the columns of TFX's taxi
// example. Rows are produced lazily so millions never sit in memory.
//
//   node --import tsx samples/taxi/generate.ts --rows 15000 --seed 42 --out samples/taxi/data/taxi.csv

import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { UserError } from '../../runtime/src/core/errors.ts';
import { AREAS, COMPANIES, type CensusTract, type CommunityArea } from './chicago.ts';
import { cumulate, mulberry32, normal, pick, sigmoid, type Rand } from './prng.ts';

export const TAXI_COLUMNS = [
  'pickup_community_area', 'fare', 'trip_start_month', 'trip_start_hour', 'trip_start_day',
  'trip_start_timestamp', 'pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude',
  'trip_miles', 'pickup_census_tract', 'dropoff_census_tract', 'payment_type', 'company', 'trip_seconds',
  'dropoff_community_area', 'tips',
] as const;

export type TaxiColumn = (typeof TAXI_COLUMNS)[number];
/** One trip; `null` is a missing value (an empty CSV field). */
export type TaxiRow = Record<TaxiColumn, number | string | null>;

export const PAYMENT_TYPES = ['Credit Card', 'Cash', 'No Charge', 'Dispute', 'Unknown', 'Prcard', 'Mobile'] as const;

// Trips per hour of day (Chicago-like: quiet at 5am, evening peak at 6pm). Weekend nights are busier.
const WEEKDAY_HOURS = [3, 2.2, 1.6, 1.2, 0.9, 0.9, 1.6, 3, 4.2, 4.4, 4.4, 4.7, 5.1, 5.1, 5.1, 5.2, 5.4, 6.1, 6.6, 6.2, 5.3, 4.8, 4.5, 3.9];
const WEEKEND_HOURS = [5.5, 4.8, 4, 3, 1.6, 0.9, 0.9, 1.2, 1.8, 2.8, 3.8, 4.6, 5.1, 5.1, 5, 5, 5, 5.3, 5.5, 5.4, 5, 5, 5.3, 5.4];
// Relative trip volume Sunday..Saturday (BigQuery's DAYOFWEEK: 1 = Sunday).
const DAY_WEIGHTS = [0.85, 0.85, 0.95, 1, 1.05, 1.15, 1.1];

const FIRST_DAY_S = Date.UTC(2013, 0, 1) / 1000; // a Tuesday
const DAYS = 4 * 365 + 1; // 2013-01-01 .. 2016-12-31
const WEEKDAY_CUM = cumulate(WEEKDAY_HOURS);
const WEEKEND_CUM = cumulate(WEEKEND_HOURS);
const AREA_CUM = cumulate(AREAS.map((a) => a.weight));
const COMPANY_CUM = cumulate(COMPANIES.map((c) => c.weight));

/** Rows of a seeded synthetic trip table; same (n, seed) → same rows, everywhere. */
export function* generateTaxiRows(n: number, seed: number): Generator<TaxiRow> {
  const rand = mulberry32(seed);
  for (let i = 0; i < n; i++) yield makeTrip(rand);
}

function makeTrip(rand: Rand): TaxiRow {
  // When: a day (weekday-weighted), an hour from the daily profile, 15-minute resolution like the city's data.
  let day: number;
  let weekday: number; // 0 = Sunday
  do {
    day = Math.floor(rand() * DAYS);
    weekday = (2 + day) % 7;
  } while (rand() * 1.15 > DAY_WEIGHTS[weekday]);
  const weekend = weekday === 0 || weekday === 6;
  const hour = pick(rand, weekend ? WEEKEND_CUM : WEEKDAY_CUM);
  const timestamp = FIRST_DAY_S + day * 86400 + hour * 3600 + Math.floor(rand() * 4) * 900;
  const date = new Date(timestamp * 1000);

  // Where: popular areas dominate both ends; tracts give the points the city publishes.
  const pickupArea = AREAS[pick(rand, AREA_CUM)];
  const dropoffArea = pickDropoffArea(rand, pickupArea);
  const pickupTract = pickTract(rand, pickupArea);
  const dropoffTract = pickTract(rand, dropoffArea);

  // How far and how long: road distance ≈ 1.3 × straight line; speed depends on traffic by hour.
  const straight = haversineMiles(pickupTract, dropoffTract);
  const miles = Math.max(0.1, pickupArea === dropoffArea ? 0.3 + -Math.log(1 - rand()) * 0.9 : straight * 1.3 * Math.exp(normal(rand) * 0.15));
  const mph = hourSpeed(hour) * Math.exp(normal(rand) * 0.25);
  const seconds = Math.max(60, Math.round((miles / mph * 3600 + 60 + rand() * 120) / 60) * 60);

  // Chicago meter: $3.25 flag pull, $2.25 per mile, $0.20 per 36 seconds; a few extras.
  let fare = 3.25 + 2.25 * miles + 0.2 * (seconds / 36);
  if (rand() < 0.03) fare += 1 + Math.floor(rand() * 4);
  fare = Math.round(fare * 20) / 20;

  const companyMissing = rand() < 1 / 3;
  const company = COMPANIES[pick(rand, COMPANY_CUM)];
  const cardBias = companyMissing ? 0 : company.cardBias;
  const tipBias = companyMissing ? 0 : company.tipBias;
  const payment = paymentType(rand, fare, hour, cardBias, date.getUTCFullYear());
  const tips = tipAmount(rand, payment, fare, hour, tipBias);

  // Missing values the way the real table has them: trips leaving the city lose their location
  // entirely (~2%); tracts are often withheld for privacy (~30%); some dropoff areas are unknown.
  const pickupOutside = rand() < 0.02;
  const dropoffOutside = rand() < 0.02;
  const pickupTractHidden = pickupOutside || rand() < 0.29;
  const dropoffTractHidden = dropoffOutside || rand() < 0.29;
  const dropoffAreaUnknown = dropoffOutside || rand() < 0.015;
  const milesUnrecorded = rand() < 0.02;
  // Without a tract the city publishes the community area's centroid.
  const pickupPoint = pickupTractHidden ? pickupArea : pickupTract;
  const dropoffPoint = dropoffTractHidden ? dropoffArea : dropoffTract;

  return {
    pickup_community_area: pickupOutside ? null : pickupArea.id,
    fare,
    trip_start_month: date.getUTCMonth() + 1,
    trip_start_hour: hour,
    trip_start_day: weekday + 1,
    trip_start_timestamp: timestamp,
    pickup_latitude: pickupOutside ? null : pickupPoint.lat,
    pickup_longitude: pickupOutside ? null : pickupPoint.lon,
    dropoff_latitude: dropoffOutside ? null : dropoffPoint.lat,
    dropoff_longitude: dropoffOutside ? null : dropoffPoint.lon,
    trip_miles: milesUnrecorded ? 0 : Math.round(miles * 100) / 100,
    pickup_census_tract: pickupTractHidden ? null : pickupTract.id,
    dropoff_census_tract: dropoffTractHidden ? null : dropoffTract.id,
    payment_type: payment,
    company: companyMissing ? null : company.name,
    trip_seconds: seconds,
    dropoff_community_area: dropoffAreaUnknown ? null : dropoffArea.id,
    tips,
  };
}

/** Most trips are short: a far destination is re-drawn (a bounded number of times) more often than a near one. */
function pickDropoffArea(rand: Rand, pickup: CommunityArea): CommunityArea {
  if (rand() < 0.2) return pickup;
  let area = AREAS[pick(rand, AREA_CUM)];
  for (let tries = 0; tries < 4 && rand() > Math.exp(-haversineMiles(pickup, area) / 2.5); tries++) {
    area = AREAS[pick(rand, AREA_CUM)];
  }
  return area;
}

function pickTract(rand: Rand, area: CommunityArea): CensusTract {
  return area.tracts[Math.floor(rand() * area.tracts.length)];
}

function haversineMiles(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 3958.8 * Math.asin(Math.sqrt(h));
}

function hourSpeed(hour: number): number {
  if (hour < 6) return 20;
  if ((hour >= 7 && hour <= 9) || (hour >= 16 && hour <= 18)) return 11;
  return 14;
}

function paymentType(rand: Rand, fare: number, hour: number, cardBias: number, year: number): string {
  const u = rand();
  if (u < 0.006) return 'No Charge';
  if (u < 0.0075) return 'Dispute';
  if (u < 0.02) return 'Unknown';
  if (u < 0.026) return 'Prcard';
  if (u < 0.032 && year >= 2015) return 'Mobile'; // app payments arrived in 2015
  // Longer (pricier) and business-hours trips are more often paid by card.
  const business = hour >= 7 && hour <= 18 ? 0.25 : 0;
  return rand() < sigmoid(-1.45 + 0.06 * fare + business + cardBias) ? 'Credit Card' : 'Cash';
}

function tipAmount(rand: Rand, payment: string, fare: number, hour: number, tipBias: number): number {
  if (payment === 'Cash') {
    // Cash tips go to the driver's pocket, not the meter: almost never recorded.
    return rand() < 0.003 ? 1 + Math.floor(rand() * 3) : 0;
  }
  if (payment !== 'Credit Card' && payment !== 'Mobile' && payment !== 'Prcard') return 0;
  if (rand() < 0.12) return 0; // card riders who skip the tip
  // Generous (> 20%) tipping: more likely late at night, less on expensive (airport) fares.
  const night = hour >= 22 || hour < 3 ? 0.5 : hour >= 5 && hour < 9 ? -0.3 : 0;
  const generous = rand() < sigmoid(1.2 + tipBias + night - 0.04 * (fare - 12));
  const pct = generous ? 0.21 + Math.min(0.4, -Math.log(1 - rand()) * 0.05) : 0.08 + rand() * 0.115;
  return Math.floor(fare * pct * 100) / 100;
}

// ---- CSV -------------------------------------------------------------------------------------

const COORD_COLUMNS = new Set<TaxiColumn>(['pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude']);
const MONEY_COLUMNS = new Set<TaxiColumn>(['fare', 'tips', 'trip_miles']);

function csvField(column: TaxiColumn, value: number | string | null): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    if (COORD_COLUMNS.has(column)) return value.toFixed(9);
    if (MONEY_COLUMNS.has(column)) return value.toFixed(2);
    return String(value);
  }
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function taxiCsvLine(row: TaxiRow): string {
  return TAXI_COLUMNS.map((c) => csvField(c, row[c])).join(',') + '\n';
}

/** The CSV text (header first) in chunks of roughly `chunkBytes`, for streaming writes or hashing. */
export function* taxiCsvChunks(n: number, seed: number, chunkBytes = 1 << 20): Generator<string> {
  let chunk = TAXI_COLUMNS.join(',') + '\n';
  for (const row of generateTaxiRows(n, seed)) {
    chunk += taxiCsvLine(row);
    if (chunk.length >= chunkBytes) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Writes the CSV through a temp file, so a crash never leaves a truncated file at `path`. */
export async function writeTaxiCsv(path: string, n: number, seed: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  for (const chunk of taxiCsvChunks(n, seed)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  await rename(tmp, path);
}

function parseCount(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new UserError(`--${flag} must be a non-negative integer, got '${text}'`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { rows: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.out) throw new UserError('--out <file.csv> is required');
  const rows = parseCount('rows', values.rows, 15000);
  const seed = parseCount('seed', values.seed, 42);
  const started = performance.now();
  await writeTaxiCsv(resolve(values.out), rows, seed);
  console.log(`wrote ${rows} rows (seed ${seed}) to ${values.out} in ${Math.round(performance.now() - started)} ms`);
}

// Run as a script only when this very file is the entry (bundles that import it must not).
if (process.argv[1] && /^generate\.[cm]?[jt]s$/.test(basename(process.argv[1])) && import.meta.url.endsWith(basename(process.argv[1]))) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof UserError ? `error: ${err.message}` : err);
    process.exitCode = 1;
  });
}
