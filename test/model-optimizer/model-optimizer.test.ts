import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Value } from '@sinclair/typebox/value';
import { createPool } from '../../runtime/src/engine/pool.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { execute as evaluate } from '../../runtime/src/components/evaluator/executor.ts';
import { evaluatorParams } from '../../runtime/src/components/evaluator/spec.ts';
import { modelOptimizer } from '../../runtime/src/components/model-optimizer/index.ts';
import { modelOptimizerParams } from '../../runtime/src/components/model-optimizer/spec.ts';
import { quantizeWeights, uint8Range } from '../../runtime/src/ml/quantize.ts';
import { makeContext } from '../schema-gen/executor-context.ts';
import { taxiLikeColumns, writeExamples, writeModelArtifact } from '../serving/fixtures.ts';

/** A stock tfjs IOHandler over a bundle folder: tfjs itself decodes (dequantises) the weights. */
const plainFiles = (dir: string): tf.io.IOHandler => ({
  load: async () => {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const data = readFileSync(join(dir, 'weights.bin'));
    return { modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
  },
});

describe('Compressed models: quantisation, ModelOptimizer and the Evaluator gate', function () {
  this.timeout(120_000);

  it('quantises in the format tfjs decodes: float16 to 2 bytes, uint8 to 1 with 0 exact; int32 copied', async () => {
    const values = Float32Array.from([-1, -0.25, 0, 0.3333, 2]);
    const ids = Int32Array.from([7, 8]);
    const specs: tf.io.WeightsManifestEntry[] = [
      { name: 'w', shape: [5], dtype: 'float32' },
      { name: 'i', shape: [2], dtype: 'int32' },
    ];
    const data = new Uint8Array(28);
    data.set(new Uint8Array(values.buffer), 0);
    data.set(new Uint8Array(ids.buffer), 20);
    for (const to of ['float16', 'uint8'] as const) {
      const q = quantizeWeights(specs, data.buffer, to);
      assert.equal(q.data.byteLength, (to === 'float16' ? 10 : 5) + 8);
      const decoded = tf.io.decodeWeights(q.data.buffer as ArrayBuffer, q.specs);
      const w = decoded.w.dataSync();
      const tolerance = to === 'float16' ? 1e-3 : uint8Range(-1, 2).scale / 2 + 1e-7;
      values.forEach((v, k) => assert.ok(Math.abs(w[k] - v) <= tolerance, `${to} ${v} → ${w[k]}`));
      assert.equal(w[2], 0, `${to} keeps 0 exact`);
      assert.deepEqual(Array.from(decoded.i.dataSync()), [7, 8]);
    }
    assert.deepEqual(uint8Range(3, 3), { min: 3, scale: 1 });
  });

  describe('the component', () => {
    let root: string;
    let pool: WorkerPool;
    const cols = { ...taxiLikeColumns(400), z: new Float64Array(400) };
    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'model-optimizer-'));
      pool = createPool(1);
      writeExamples(join(root, 'examples'), 'eval', cols);
      // A weight 100× the others (on a feature that is always 0) stretches uint8's range, so its
      // 1/255 steps move the other two weights enough to change some decisions.
      await writeModelArtifact(join(root, 'full'), { features: ['x1', 'x2', 'z'], weights: [2, -1, 200], bias: 0 });
    });
    after(async () => {
      await pool.close();
      rmSync(root, { recursive: true, force: true });
    });

    const optimize = async (quantize: string) => {
      const { ctx, log } = makeContext({
        root: join(root, quantize),
        pool,
        params: Value.Default(modelOptimizerParams, { quantize, latency_repeats: 5 }) as Record<string, unknown>,
        inputs: { model: { type: 'Model', uri: join(root, 'full') } },
        outputs: { model: 'Model' },
      });
      ctx.inputs.model!.properties = { task: 'binary', logs: 'logs', metrics: { acc: 0.9 } };
      await (await modelOptimizer.loadExecutor())(ctx as never);
      return { model: ctx.outputs.model, log };
    };
    const gate = async (name: string, candidate: string, absolute: number) => {
      const { ctx } = makeContext({
        root: join(root, name),
        pool,
        params: Value.Default(evaluatorParams, { label: 'label', bootstrap_resamples: 0, thresholds: [{ metric: 'accuracy', change: { direction: 'higher_is_better', absolute } }] }) as Record<string, unknown>,
        inputs: { examples: { type: 'Examples', uri: join(root, 'examples') }, model: { type: 'Model', uri: candidate }, baseline_model: { type: 'Model', uri: join(root, 'full') } },
        outputs: { evaluation: 'ModelEvaluation', blessing: 'ModelBlessing' },
      });
      await evaluate(ctx as never);
      const evaluation = JSON.parse(readFileSync(join(ctx.outputs.evaluation.uri, 'evaluation.json'), 'utf8'));
      return { evaluation, blessing: JSON.parse(readFileSync(join(ctx.outputs.blessing.uri, 'blessing.json'), 'utf8')) };
    };

    it('writes a float16 bundle that stock tf.loadLayersModel reads, with a size and latency report', async () => {
      const { model, log } = await optimize('float16');
      const full = join(root, 'full', 'bundle');
      const half = join(model.uri, 'bundle');
      assert.equal(statSync(join(half, 'weights.bin')).size * 2, statSync(join(full, 'weights.bin')).size);
      const loaded = await tf.loadLayersModel(plainFiles(half));
      const [kernel] = loaded.getWeights();
      assert.deepEqual(Array.from(kernel.dataSync()), [2, -1, 200]); // all three exact in float16
      const report = JSON.parse(readFileSync(join(model.uri, 'compression.json'), 'utf8'));
      assert.equal(report.quantize, 'float16');
      assert.deepEqual(report.bytes.weights, { full: 16, compressed: 8, saved: 8, ratio: 0.5 });
      assert.ok(report.latency.full.predict1Ms > 0 && report.latency.compressed.predictBatchMs > 0);
      assert.equal(report.latency.maxPredictionDiff, 0);
      assert.ok(log.info.some((l) => /^float16: weights 16 → 8 bytes \(50.0%\), model files \d+ → \d+ bytes/.test(l)), log.info.join('\n'));
      assert.ok(log.info.some((l) => /latency full → float16: load .* predict 1 row/.test(l)));
      // It stands in for the model it compresses (task, metrics), but not for its logs.
      assert.equal(model.properties.task, 'binary');
      assert.equal(model.properties.quantization, 'float16');
      assert.equal(model.properties.logs, undefined);
    });

    it('the Evaluator compares the uint8 model with the full one: blessed within the threshold, not beyond it', async () => {
      const { model } = await optimize('uint8');
      const report = JSON.parse(readFileSync(join(model.uri, 'compression.json'), 'utf8'));
      assert.equal(report.bytes.weights.ratio, 0.25);
      assert.ok(report.latency.maxPredictionDiff > 0);
      // The gate flips where the measured change lies: a threshold just below it blesses, just above it does not.
      const first = await gate('measure', model.uri, -1);
      const change = first.evaluation.slices[0].metrics.accuracy - first.evaluation.slices[0].baseline_metrics.accuracy;
      assert.notEqual(change, 0, 'uint8 moved some decisions');
      const loose = await gate('loose', model.uri, change - 0.01);
      assert.equal(loose.blessing.blessed, true, JSON.stringify(loose.blessing));
      const strict = await gate('strict', model.uri, change + 0.01);
      assert.equal(strict.blessing.blessed, false, JSON.stringify(strict.blessing));
    });
  });
});
