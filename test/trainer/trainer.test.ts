import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BACKEND_NAMES, selectBackend } from '../../runtime/src/ml/backend.ts';
import { loadBundle } from '../../runtime/src/ml/bundle.ts';
import { isUserError } from '../../runtime/src/core/errors.ts';
import { trainer } from '../../runtime/src/components/trainer/index.ts';
import { modelComponentSuite } from './helpers.ts';

const MODULE = 'test/trainer/fixtures/trainer_module.ts';

describe('Trainer', function () {
  this.timeout(120_000);
  const suite = modelComponentSuite(trainer, { module_file: MODULE });

  const run = async (params: Record<string, unknown>, outName: string) => {
    const { logs, outputs, progress, error } = await suite.run(params, outName);
    if (error) throw error;
    return { logs, model: outputs.model, progress };
  };

  it('learns a separable problem well above the majority baseline and records the backend', async () => {
    const { logs, model, progress } = await run({ epochs: 3, batch_size: 64 }, 'ok');
    // Live progress while it trains: 0 of 3 at the start, then each epoch with its metrics so far.
    assert.deepEqual(progress.map((p) => `${p.done}/${p.total} ${p.unit}`), ['0/3 epochs', '1/3 epochs', '2/3 epochs', '3/3 epochs']);
    for (const p of progress.slice(1)) assert.equal(typeof p.metrics?.loss, 'number');
    const props = model.properties as { backend: string; task: string; metrics: Record<string, number>; inputFeatures: string[]; epochs: number };
    assert.ok((BACKEND_NAMES as readonly string[]).includes(props.backend));
    assert.ok(logs.some((l) => l.startsWith(`backend: ${props.backend}`)), 'backend choice logged');
    assert.equal(props.task, 'binary');
    assert.equal(props.epochs, 3);
    assert.deepEqual([...props.inputFeatures].sort(), ['k_xf', 'x1_xf', 'x2_xf']);

    // Accuracy of the saved bundle on raw eval rows, against the rule that generated the labels.
    await selectBackend('cpu', { info: () => undefined, warn: () => undefined });
    const bundle = await loadBundle(join(model.uri, 'bundle'));
    assert.equal(bundle.info.backend, props.backend);
    const p = bundle.predict(suite.fixture.eval.map(({ x1, x2, k }) => ({ x1, x2, k }))) as number[];
    const correct = p.filter((v, i) => (v > 0.5 ? 1 : 0) === suite.fixture.eval[i].label).length;
    const accuracy = correct / suite.fixture.eval.length;
    const positives = suite.fixture.eval.filter((r) => r.label === 1).length / suite.fixture.eval.length;
    const majority = Math.max(positives, 1 - positives);
    assert.ok(accuracy > majority + 0.2 && accuracy > 0.85, `accuracy ${accuracy} vs majority ${majority}`);
    // The recorded eval accuracy agrees with the bundle's (same eval rows, 0.5 threshold).
    assert.ok(Math.abs(props.metrics.eval_acc - accuracy) < 0.02, `${props.metrics.eval_acc} vs ${accuracy}`);
    bundle.dispose();

    const lines = readFileSync(join(model.uri, 'logs', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.epoch), [0, 1, 2]);
    for (const l of lines) for (const k of ['loss', 'acc', 'val_loss', 'val_acc']) assert.equal(typeof l[k], 'number', k);
    assert.ok(lines[2].loss < lines[0].loss, 'loss decreases');
    for (const sub of ['train', 'validation']) {
      assert.ok(readdirSync(join(model.uri, 'logs', sub)).some((f) => f.includes('tfevents')), sub);
    }
    assert.ok(existsSync(join(model.uri, 'bundle', 'transform', 'transform_graph.json')));
  });

  // The fixture module has a dynamic import (crashing_fn), which tsx's loader rewrites from source,
  // source map included: the frames are mapped with the map compiled into the module instead.
  it('a throwing run_fn fails the node with the user\'s file and line', async () => {
    const line = readFileSync(MODULE, 'utf8').split('\n').findIndex((l) => l.includes("throw new Error('deliberate failure in run_fn')")) + 1;
    await assert.rejects(run({ run_fn: 'throwing_fn', epochs: 1 }, 'throws'), (e: unknown) => {
      assert.ok(isUserError(e));
      assert.match((e as Error).message, /deliberate failure in run_fn/);
      assert.match((e as Error).message, new RegExp(`trainer_module\\.ts:${line}:\\d+`));
      assert.deepEqual([e.location?.file, e.location?.line], [resolve(MODULE), line]);
      return true;
    });
  });

  it('a run_fn past its timeout is terminated and fails the node', async () => {
    const t0 = Date.now();
    await assert.rejects(run({ run_fn: 'busy_fn', timeout: 2 }, 'busy'), (e: unknown) => isUserError(e) && /timeout of 2 s/.test((e as Error).message));
    assert.ok(Date.now() - t0 < 30_000);
  });

  it('records the module’s own Model properties, and tells it whether embeddings train on its backend', async () => {
    const cpu = await run({ run_fn: 'properties_fn', backend: 'cpu', epochs: 1 }, 'props-cpu');
    assert.equal(cpu.model.properties.backend, 'cpu');
    assert.equal(cpu.model.properties.embeddingsTrain, true);
    assert.deepEqual(cpu.model.properties.note, { by: 'module' });
    const wasm = await run({ run_fn: 'properties_fn', backend: 'wasm', epochs: 1 }, 'props-wasm');
    assert.equal(wasm.model.properties.embeddingsTrain, false, 'wasm has no UnsortedSegmentSum');
    await assert.rejects(
      run({ run_fn: 'properties_fn', backend: 'cpu', epochs: 1, hyperparameters: { clash: true } }, 'props-clash'),
      (e: unknown) => isUserError(e) && /properties the Trainer records itself: backend/.test((e as Error).message),
    );
  });

  it('a missing export and a requested backend that cannot load are UserErrors', async () => {
    await assert.rejects(run({ run_fn: 'nope' }, 'noexport'), (e: unknown) => isUserError(e) && /no exported function "nope"/.test((e as Error).message));
    await assert.rejects(run({ backend: 'tfjs-node-gpu', epochs: 1 }, 'nogpu'), (e: unknown) => {
      // This machine has no tfjs-node-gpu; where it loads, training simply succeeds.
      return isUserError(e) && /tfjs-node-gpu/.test((e as Error).message);
    });
  });
});
