/**
 * Writes data/penguins.csv from the Palmer penguins shipped by the vega-datasets npm package (344
 * birds, no network needed), with TFX's penguin column names. Missing values ('.' or null in the
 * source) become empty fields. Deterministic: a test regenerates it and compares.
 *
 *   node --import tsx samples/penguins/make-csv.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Source field → CSV column, in TFX's penguins_processed.csv naming. */
export const COLUMNS: [string, string][] = [
  ['Species', 'species'],
  ['Island', 'island'],
  ['Beak Length (mm)', 'culmen_length_mm'],
  ['Beak Depth (mm)', 'culmen_depth_mm'],
  ['Flipper Length (mm)', 'flipper_length_mm'],
  ['Body Mass (g)', 'body_mass_g'],
  ['Sex', 'sex'],
];

/** The package exports only its JS API, so find its folder from node_modules and read the file. */
export function sourceFile(): string {
  for (const dir of createRequire(import.meta.url).resolve.paths('vega-datasets') ?? []) {
    const file = join(dir, 'vega-datasets', 'data', 'penguins.json');
    if (existsSync(file)) return file;
  }
  throw new Error('vega-datasets is not installed (npm install): its data/penguins.json is the source');
}

function cell(v: unknown): string {
  if (v === null || v === undefined || v === '.') return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function penguinsCsv(json = readFileSync(sourceFile(), 'utf8')): string {
  const rows = JSON.parse(json) as Record<string, unknown>[];
  const lines = [COLUMNS.map(([, name]) => name).join(',')];
  for (const row of rows) lines.push(COLUMNS.map(([field]) => cell(row[field])).join(','));
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = fileURLToPath(new URL('./data/penguins.csv', import.meta.url));
  writeFileSync(out, penguinsCsv());
  console.log(`wrote ${out}`);
}
