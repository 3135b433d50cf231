/**
 * Model warm-up, as TF Serving's SavedModel warm-up: before a loaded version answers its first
 * request, the server runs a number of predicts through the same code a request takes (body
 * parsing and checks, the batcher, the model's transform graph and predict, the answer's JSON).
 * A freshly started V8 runs that code unoptimised and compiles it over its first thousands of calls
 * (and tfjs builds its kernels' first buffers), which is what made a fresh server's first thousand
 * single-row requests have a p99 three times a warm one's.
 *
 * The rows are made from the bundle's raw features: TF Serving reads warm-up records shipped with
 * the model; ours carry the feature names and types, and varied values of those types (plus a
 * missing value now and then) give V8 the same shapes of objects and numbers real requests have.
 */
import type { BundleInfo } from '../ml/bundle.ts';

type Row = Record<string, unknown>;

/** Synthetic request rows of the bundle's raw features: `count` rows with varied typed values. */
export function warmupRows(info: Pick<BundleInfo, 'rawFeatures'>, count: number): Row[] {
  const words = ['a', 'b', 'value', '', 'another value', 'x y'];
  return Array.from({ length: count }, (_, i) => {
    const row: Row = {};
    info.rawFeatures.forEach((f, j) => {
      const k = i * 31 + j * 7;
      const value = f.type === 'STRING' ? words[k % words.length] : f.type === 'INT' ? k % 24 : (k % 97) * 0.37 + 0.1;
      // Every 11th value missing: requests send null for a missing value (fill_in_missing).
      row[f.name] = k % 11 === 0 ? null : f.list ? [value, value] : value;
    });
    return row;
  });
}

/**
 * Request bodies for the warm-up: mostly one row (the common request), some of several rows and
 * one in the columnar `inputs` form, so both parsers and the batcher's multi-row path are warm.
 */
export function warmupBodies(info: Pick<BundleInfo, 'rawFeatures'>): string[] {
  const rows = warmupRows(info, 64);
  const bodies = rows.map((r) => JSON.stringify({ instances: [r] }));
  for (let n = 2; n <= 32; n *= 2) bodies.push(JSON.stringify({ instances: rows.slice(0, n) }));
  const columns = Object.fromEntries(info.rawFeatures.map((f) => [f.name, rows.slice(0, 4).map((r) => r[f.name])]));
  bodies.push(JSON.stringify({ inputs: columns }));
  return bodies;
}
