/**
 * Load and predict latency of the full and the compressed bundle, in one worker thread on the cpu
 * backend (the serving default), on the same synthetic transformed rows; and how far their
 * predictions differ on those rows.
 */
import * as tf from '@tensorflow/tfjs';
import type { TransformedColumns } from '../../ml/api.ts';
import { type LoadedBundle, loadBundle } from '../../ml/bundle.ts';
import { mulberry32 } from '../../util/prng.ts';

export interface MeasureArgs {
  fullDir: string;
  compressedDir: string;
  rows: number;
  repeats: number;
}

export interface Latency {
  loadMs: number;
  /** Median milliseconds of a 1-row predict. */
  predict1Ms: number;
  /** Median milliseconds of a `rows`-row predict. */
  predictBatchMs: number;
}

export interface Measurement {
  full: Latency;
  compressed: Latency;
  rows: number;
  /** Largest |full − compressed| over every predicted value of the batch. */
  maxPredictionDiff: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Rows of model inputs: numeric features uniform in [-2, 2), categorical ids within their vocabulary. */
function syntheticInputs(bundle: LoadedBundle, rows: number): TransformedColumns {
  const rand = mulberry32(7);
  const features = bundle.transformGraph.json.outputFeatures;
  return Object.fromEntries(
    bundle.model.inputNames.map((name) => {
      const f = features.find((o) => o.name === name);
      if (f?.kind === 'categorical' || f?.dtype === 'int32') return [name, Int32Array.from({ length: rows }, () => Math.floor(rand() * (f.vocabularySize ?? 2)))];
      return [name, Float32Array.from({ length: rows }, () => rand() * 4 - 2)];
    }),
  );
}

const slice = (cols: TransformedColumns, n: number): TransformedColumns => Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.subarray(0, n)]));

const LOADS = 3;

async function timedLoad(dir: string): Promise<{ bundle: LoadedBundle; ms: number }> {
  const t0 = performance.now();
  const bundle = await loadBundle(dir);
  return { bundle, ms: performance.now() - t0 };
}

/**
 * Both models timed alike: a warm-up load first (the first load in a thread pays for compiling
 * tfjs's code), then loads and predicts alternate between them, so neither gets the warmer turn.
 */
export async function measure(args: MeasureArgs): Promise<Measurement> {
  await tf.setBackend('cpu');
  (await loadBundle(args.fullDir)).dispose();
  const dirs = [args.fullDir, args.compressedDir];
  const loadMs: number[][] = [[], []];
  let bundles: LoadedBundle[] = [];
  for (let i = 0; i < LOADS; i++) {
    bundles.forEach((b) => b.dispose());
    bundles = [];
    for (const [k, dir] of dirs.entries()) {
      const { bundle, ms } = await timedLoad(dir);
      loadMs[k].push(ms);
      bundles.push(bundle);
    }
  }
  const cols = syntheticInputs(bundles[0], args.rows);
  const one = slice(cols, 1);
  bundles.forEach((b) => b.predictTransformed(cols)); // warm-up
  const single: number[][] = [[], []];
  const batch: number[][] = [[], []];
  for (let i = 0; i < args.repeats; i++) {
    for (const [k, b] of bundles.entries()) {
      let t = performance.now();
      b.predictTransformed(one);
      single[k].push(performance.now() - t);
      t = performance.now();
      b.predictTransformed(cols);
      batch[k].push(performance.now() - t);
    }
  }
  const [full, compressed] = bundles.map((b) => b.predictTransformed(cols).flat());
  bundles.forEach((b) => b.dispose());
  let maxPredictionDiff = 0;
  full.forEach((v, i) => (maxPredictionDiff = Math.max(maxPredictionDiff, Math.abs(v - compressed[i]))));
  const latency = (k: number): Latency => ({ loadMs: median(loadMs[k]), predict1Ms: median(single[k]), predictBatchMs: median(batch[k]) });
  return { full: latency(0), compressed: latency(1), rows: args.rows, maxPredictionDiff };
}
