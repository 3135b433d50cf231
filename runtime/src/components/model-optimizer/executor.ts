/**
 * ModelOptimizer: writes the input model's serving bundle again with quantised weights
 * (ml/quantize.ts), then times both bundles in a worker thread and reports the bytes and latency
 * saved and how far the predictions moved. The accuracy gate is the Evaluator's: wire this model
 * as its candidate and the full one as baseline_model, with a change threshold.
 */
import { cpSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { MODEL_JSON_FILE, WEIGHTS_FILE } from '../../ml/bundle.ts';
import { quantizeWeights } from '../../ml/quantize.ts';
import { runInWorker } from '../../ml/user-module.ts';
import { dispatcherPath } from '../trainer/worker-entry.ts';
import { modelPaths } from '../trainer/train-task.ts';
import type { Measurement } from './measure.ts';
import type { modelOptimizerSpec } from './spec.ts';

type Spec = typeof modelOptimizerSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const COMPRESSION_FILE = 'compression.json';

interface ModelJson {
  weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[];
  [key: string]: unknown;
}

function readModelJson(file: string): ModelJson {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`, { file });
  }
}

/** Bytes of a bundle's weights, and of its model files (model.json too): what a server reads and parses. */
function modelBytes(dir: string): { weights: number; total: number } {
  const weights = statSync(join(dir, WEIGHTS_FILE)).size;
  return { weights, total: weights + statSync(join(dir, MODEL_JSON_FILE)).size };
}

const sizes = (full: number, compressed: number) => ({ full, compressed, saved: full - compressed, ratio: full > 0 ? Number((compressed / full).toFixed(4)) : 1 });

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const fullDir = modelPaths(ctx.inputs.model.uri).bundleDir;
  const out = ctx.outputs.model;
  const dir = modelPaths(out.uri).bundleDir;
  const modelFile = join(fullDir, MODEL_JSON_FILE);
  const modelJson = readModelJson(modelFile);
  if (modelJson.weightsManifest?.length !== 1 || modelJson.weightsManifest[0].paths.length !== 1) {
    throw new UserError(`${modelFile} is not a serving bundle's model (one weights file expected)`, { file: modelFile });
  }
  const weights = readFileSync(join(fullDir, WEIGHTS_FILE));
  let quantized;
  try {
    quantized = quantizeWeights(modelJson.weightsManifest[0].weights, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength), params.quantize);
  } catch (e) {
    throw new UserError(`Cannot quantise ${join(fullDir, WEIGHTS_FILE)}: ${(e as Error).message}`, { file: join(fullDir, WEIGHTS_FILE) });
  }
  // The same bundle (transform graph, bundle.json), with the quantised weights and their manifest.
  cpSync(fullDir, dir, { recursive: true });
  rmSync(join(dir, WEIGHTS_FILE));
  writeFileSync(join(dir, WEIGHTS_FILE), quantized.data);
  writeFileSync(join(dir, MODEL_JSON_FILE), JSON.stringify({ ...modelJson, weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: quantized.specs }] }));

  const measured = await runInWorker<Measurement>({
    modulePath: dispatcherPath(),
    exportName: 'default',
    args: [{ task: 'model-optimizer.measure', args: { fullDir, compressedDir: dir, rows: params.latency_rows, repeats: params.latency_repeats } }],
    signal: ctx.signal,
    timeout: 600,
    label: 'timing the full and compressed models',
    onLog: (level, m) => ctx.log[level](m),
  });
  const [full, compressed] = [modelBytes(fullDir), modelBytes(dir)];
  // The manifest grows by the quantisation entries: for a tiny model the total can grow.
  const report = {
    quantize: params.quantize,
    bytes: { weights: sizes(full.weights, compressed.weights), total: sizes(full.total, compressed.total) },
    latency: measured,
  };
  writeFileSync(join(out.uri, COMPRESSION_FILE), JSON.stringify(report, null, 2));
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  ctx.log.info(
    `${params.quantize}: weights ${full.weights} → ${compressed.weights} bytes (${(100 * report.bytes.weights.ratio).toFixed(1)}%), model files ${full.total} → ${compressed.total} bytes; largest prediction change ${measured.maxPredictionDiff.toExponential(2)}`,
  );
  ctx.log.info(
    `latency full → ${params.quantize}: load ${ms(measured.full.loadMs)} → ${ms(measured.compressed.loadMs)}; predict 1 row ${ms(measured.full.predict1Ms)} → ${ms(measured.compressed.predict1Ms)}; ${measured.rows} rows ${ms(measured.full.predictBatchMs)} → ${ms(measured.compressed.predictBatchMs)} (tfjs dequantises on load, so predict runs float32 either way)`,
  );
  // Downstream (Evaluator, Pusher, server) read it as the model it compresses; its logs stay there.
  const { logs: _logs, ...inherited } = ctx.inputs.model.properties;
  out.properties = {
    ...inherited,
    bundle: 'bundle',
    quantization: params.quantize,
    weightBytes: compressed.weights,
    fullWeightBytes: full.weights,
    sizeRatio: report.bytes.total.ratio,
    maxPredictionDiff: measured.maxPredictionDiff,
    latencyMs: { full: measured.full, compressed: measured.compressed },
  };
}
