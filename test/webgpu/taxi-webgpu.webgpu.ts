/**
 * The WebGPU path for real, on whatever adapter the machine has: in CI that is Mesa's lavapipe, a
 * software Vulkan driver (mesa-vulkan-drivers ≥ 25 from bookworm-backports, installed by .ci/run),
 * which Dawn exposes as a fallback adapter. `backend: auto` passes a fallback adapter over, so the
 * Trainer is told `backend: webgpu`.
 *
 * The taxi sample (copied to a temp folder) trains for one epoch on cpu, then on webgpu, through
 * the CLI from source: both must agree on eval loss and accuracy within a tolerance (the weights
 * start from different random draws, so not exactly), both use embeddings, and the webgpu model's
 * bundle, loaded back here on the cpu backend, must reproduce the loss and accuracy the Trainer
 * measured on webgpu.
 *
 * Not part of `npm test` (it needs a Vulkan driver): `npm run test:webgpu`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROBES, selectBackend } from '../../runtime/src/ml/backend.ts';
import { loadBundle } from '../../runtime/src/ml/bundle.ts';
import { readSplitRows, type RawRow } from '../../runtime/src/components/evaluator/read-rows.ts';
import type { RunSummary } from '../../runtime/src/engine/scheduler.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sample = join(root, 'samples', 'taxi');
const NODES = ['example_gen', 'statistics_gen', 'schema_gen', 'transform', 'trainer'];
/** One epoch from different initial weights: the two backends agree this closely (measured spread ≈ 0.01 accuracy, 0.03 loss). */
const TOLERANCE = { accuracy: 0.04, loss: 0.08 };

/** The sample's pipeline with the Trainer on `backend` for one epoch. */
function writePipeline(dir: string, backend: string): string {
  const yaml = readFileSync(join(sample, 'taxi.pipeline.yaml'), 'utf8');
  const edited = yaml.replace(/^(\s+)epochs: \d+$/m, `$1epochs: 1\n$1backend: ${backend}`);
  assert.notEqual(edited, yaml, 'the sample pipeline sets the Trainer’s epochs');
  const file = join(dir, 'taxi.pipeline.yaml');
  writeFileSync(file, edited);
  return file;
}

function run(pipeline: string): RunSummary {
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', 'run', pipeline, '--json', '--workers', '2', '--only', ...NODES], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '') as RunSummary;
  assert.equal(summary.state, 'COMPLETE', JSON.stringify(summary.nodes.map((n) => [n.id, n.state])));
  return summary;
}

const trainerModel = (s: RunSummary) => s.nodes.find((n) => n.id === 'trainer')!.outputs!.model;
const bigTipper = (r: RawRow): number => (typeof r.fare === 'number' && (typeof r.tips === 'number' ? r.tips : 0) > 0.2 * r.fare ? 1 : 0);

describe('the taxi model on webgpu (software Vulkan in CI) matches cpu', function () {
  this.timeout(1_200_000);
  let dir: string;
  let cpu: RunSummary;
  let gpu: RunSummary;

  before(async function () {
    // Fail with the fix, not with a stack, when the machine has no adapter at all.
    try {
      await DEFAULT_PROBES.webgpu({ explicit: true });
    } catch (e) {
      throw new Error(`No WebGPU adapter here (${(e as Error).message}). Install a Vulkan driver: on Debian bookworm, mesa-vulkan-drivers from bookworm-backports (see .ci/run).`);
    }
    dir = mkdtempSync(join(tmpdir(), 'taxi-webgpu-'));
    for (const f of ['taxi_transform.ts', 'taxi_trainer.ts']) cpSync(join(sample, f), join(dir, f));
    cpSync(join(sample, 'data'), join(dir, 'data'), { recursive: true });
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('trains one epoch on cpu, then on webgpu (the data nodes cached), with embeddings on both', () => {
    cpu = run(writePipeline(dir, 'cpu'));
    gpu = run(writePipeline(dir, 'webgpu'));
    assert.deepEqual(gpu.nodes.map((n) => n.state), ['CACHED', 'CACHED', 'CACHED', 'CACHED', 'COMPLETE']);
    for (const [summary, backend] of [[cpu, 'cpu'], [gpu, 'webgpu']] as const) {
      const p = trainerModel(summary).properties;
      assert.equal(p.backend, backend);
      assert.equal(p.epochs, 1);
      const encodings = p.featureEncodings as Record<string, { kind: string }>;
      for (const f of ['company_xf', 'pickup_census_tract_xf', 'dropoff_census_tract_xf']) assert.equal(encodings[f].kind, 'embedding', `${backend}: ${f}`);
      assert.equal(encodings.payment_type_xf.kind, 'onehot');
    }
    const log = readFileSync(join(dir, '.tributary', 'runs', gpu.runId, 'trainer.log'), 'utf8');
    assert.match(log, /backend: webgpu \(requested by the backend parameter; (fallback \(software\) )?adapter: /);
  });

  it('loss and accuracy on the eval split agree within the tolerance', () => {
    const m = (s: RunSummary) => trainerModel(s).properties.metrics as Record<string, number>;
    const [c, g] = [m(cpu), m(gpu)];
    const seconds = (s: RunSummary) => ((s.nodes.find((n) => n.id === 'trainer')!.durationMs ?? 0) / 1000).toFixed(1);
    console.log(`      cpu: eval_acc ${c.eval_acc.toFixed(4)} eval_loss ${c.eval_loss.toFixed(4)} (${seconds(cpu)} s); webgpu: eval_acc ${g.eval_acc.toFixed(4)} eval_loss ${g.eval_loss.toFixed(4)} (${seconds(gpu)} s)`);
    assert.ok(Math.abs(c.eval_acc - g.eval_acc) <= TOLERANCE.accuracy, `accuracy cpu ${c.eval_acc} vs webgpu ${g.eval_acc}`);
    assert.ok(Math.abs(c.eval_loss - g.eval_loss) <= TOLERANCE.loss, `loss cpu ${c.eval_loss} vs webgpu ${g.eval_loss}`);
    // Both learned: the loss is clearly below that of always predicting the positive rate.
    const rows = readSplitRows(cpu.nodes[0].outputs!.examples.uri, 'eval');
    const rate = rows.reduce((n, r) => n + bigTipper(r), 0) / rows.length;
    const baseline = -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
    for (const x of [c, g]) assert.ok(x.eval_loss < baseline - 0.03, `eval loss ${x.eval_loss} vs the base-rate loss ${baseline}`);
  });

  it('the webgpu model round-trips through its bundle: loaded on cpu, it reproduces the Trainer’s eval loss and accuracy', async () => {
    await selectBackend('cpu', { info: () => undefined, warn: () => undefined });
    const bundle = await loadBundle(join(trainerModel(gpu).uri, 'bundle'));
    try {
      assert.equal(bundle.info.backend, 'webgpu');
      const rows = readSplitRows(gpu.nodes[0].outputs!.examples.uri, 'eval');
      const p = bundle.predict(rows) as number[];
      assert.equal(p.length, rows.length);
      let loss = 0;
      let correct = 0;
      const eps = 1e-7; // Keras's epsilon, as tfjs's binaryCrossentropy clips
      rows.forEach((r, i) => {
        const y = bigTipper(r);
        const q = Math.min(1 - eps, Math.max(eps, p[i]));
        loss -= y * Math.log(q) + (1 - y) * Math.log(1 - q);
        if ((p[i] >= 0.5 ? 1 : 0) === y) correct++;
      });
      const metrics = trainerModel(gpu).properties.metrics as Record<string, number>;
      assert.ok(Math.abs(loss / rows.length - metrics.eval_loss) < 2e-3, `bundle loss ${loss / rows.length} vs Trainer ${metrics.eval_loss}`);
      assert.ok(Math.abs(correct / rows.length - metrics.eval_acc) < 2e-3, `bundle accuracy ${correct / rows.length} vs Trainer ${metrics.eval_acc}`);
    } finally {
      bundle.dispose();
    }
  });
});
