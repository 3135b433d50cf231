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

/** Rows of model inputs: numeric features ~ N(0,1)-ish, categorical ids within their vocabulary. */
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

async function time(dir: string, args: MeasureArgs, inputs?: TransformedColumns) {
  const t0 = performance.now();
  const bundle = await loadBundle(dir);
  const loadMs = performance.now() - t0;
  const cols = inputs ?? syntheticInputs(bundle, args.rows);
  const one = slice(cols, 1);
  bundle.predictTransformed(cols); // warm-up
  const single: number[] = [];
  const batch: number[] = [];
  for (let i = 0; i < args.repeats; i++) {
    let t = performance.now();
    bundle.predictTransformed(one);
    single.push(performance.now() - t);
    t = performance.now();
    bundle.predictTransformed(cols);
    batch.push(performance.now() - t);
  }
  const predictions = bundle.predictTransformed(cols).flat();
  bundle.dispose();
  return { latency: { loadMs, predict1Ms: median(single), predictBatchMs: median(batch) }, cols, predictions };
}

export async function measure(args: MeasureArgs): Promise<Measurement> {
  await tf.setBackend('cpu');
  const full = await time(args.fullDir, args);
  const compressed = await time(args.compressedDir, args, full.cols);
  let maxPredictionDiff = 0;
  full.predictions.forEach((v, i) => (maxPredictionDiff = Math.max(maxPredictionDiff, Math.abs(v - compressed.predictions[i]))));
  return { full: full.latency, compressed: compressed.latency, rows: args.rows, maxPredictionDiff };
}
