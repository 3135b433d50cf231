import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSplitRows, resolveWorkers, runReplicas } from '../../runtime/src/components/trainer/replicas.ts';
import { trainer } from '../../runtime/src/components/trainer/index.ts';
import { modelComponentSuite } from './helpers.ts';

describe('Trainer data-parallel training (workers: N)', function () {
  this.timeout(240_000);
  const suite = modelComponentSuite(trainer, { module_file: 'test/trainer/fixtures/trainer_module.ts', batch_size: 64, backend: 'cpu' });
  // One eval row: fewer than two workers.
  const tiny = modelComponentSuite(trainer, { module_file: 'test/trainer/fixtures/trainer_module.ts', batch_size: 8, backend: 'cpu' }, { train: 64, eval: 1 });
  const run = async (params: Record<string, unknown>, attempt: string, cacheKey?: string) => {
    const { logs, outputs, progress, error } = await suite.run(params, join('root', 'trainer', attempt), cacheKey ? { cacheKey } : {});
    return { logs, model: outputs.model, progress, error };
  };
  const weightsOf = (dir: string) => readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as number[][]);
  const metricsOf = (model: { properties: Record<string, unknown> }) => model.properties.metrics as Record<string, number>;

  it('keeps the replicas bit-identical and matches one worker on the same global batch within float tolerance', async () => {
    const hp = { optimizer: 'sgd', learning_rate: 0.5 };
    const one = await run({ run_fn: 'replica_fn', epochs: 2, hyperparameters: { ...hp, weights_dir: join(suite.fixture.dir, 'w1') } }, 'one');
    assert.equal(one.error, undefined, String(one.error));
    const two = await run({ run_fn: 'replica_fn', epochs: 2, workers: 2, hyperparameters: { ...hp, weights_dir: join(suite.fixture.dir, 'w2') } }, 'two');
    assert.equal(two.error, undefined, String(two.error));
    assert.ok(two.logs.some((l) => /data-parallel over 2 workers of 32 rows a step/.test(l)), two.logs.join('\n'));
    // Both take the fused optimizer step (fused-optimizer.ts), said once (rank 0 speaks).
    for (const r of [one, two]) assert.equal(r.logs.filter((l) => /optimizer step: SGD, fused/.test(l)).length, 1, r.logs.join('\n'));

    const replicas = weightsOf(join(suite.fixture.dir, 'w2'));
    assert.equal(replicas.length, 2);
    assert.deepEqual(replicas[0], replicas[1], 'both replicas hold the same weights, bit for bit');
    const [single] = weightsOf(join(suite.fixture.dir, 'w1'));
    // 2 epochs × 32 steps: the averaged half-batch gradients equal the global batch's up to rounding.
    single.flat().forEach((w, i) => assert.ok(Math.abs(w - replicas[0].flat()[i]) < 1e-4, `weight ${i}: ${w} vs ${replicas[0].flat()[i]}`));

    // Metrics are the global ones (averaged over both shares), the same as one worker's.
    const [m1, m2] = [metricsOf(one.model), metricsOf(two.model)];
    for (const k of ['loss', 'acc', 'val_loss', 'val_acc', 'eval_loss', 'eval_acc']) assert.ok(Math.abs(m1[k] - m2[k]) < 1e-4, `${k}: ${m1[k]} vs ${m2[k]}`);
    assert.equal(two.model.properties.trainExamples, one.model.properties.trainExamples, 'every row trained on once per epoch');
    assert.equal(two.model.properties.workers, 2);
    // Each replica's profile: the same steps, time by phase (the all-reduce's among them), its thread's CPU time.
    const profiles = two.model.properties.stepProfile as { steps: number; trainMs: number; phases: Record<string, number>; cpuMs?: number }[];
    assert.equal(profiles.length, 2);
    assert.deepEqual(profiles.map((p) => p.steps), [64, 64]);
    for (const p of profiles) {
      assert.ok(p.phases.input > 0 && p.phases.flatten > 0 && p.phases.apply > 0 && p.phases.compute > 0, JSON.stringify(p));
      assert.ok(Object.values(p.phases).reduce((n, v) => n + v, 0) <= p.trainMs + p.phases.epochEnd + 1, JSON.stringify(p));
      if (process.platform === 'linux') assert.ok(p.cpuMs! > 0 && p.cpuMs! <= p.trainMs * 1.05 + 5, JSON.stringify(p));
    }
    assert.equal((one.model.properties.stepProfile as { phases: Record<string, number> }[])[0].phases.wait, 0);
    // Epoch by epoch (warm-up against steady state): 2 epochs of 32 steps, the thread's and the process's CPU.
    for (const p of [...profiles, ...(one.model.properties.stepProfile as typeof profiles)] as { epochs?: { steps: number; cpuMs?: number; processCpuMs: number }[] }[]) {
      assert.deepEqual(p.epochs?.map((e) => e.steps), [32, 32], JSON.stringify(p.epochs));
      for (const e of p.epochs!) {
        assert.ok(e.processCpuMs > 0, JSON.stringify(e));
        if (process.platform === 'linux') assert.ok(e.cpuMs! > 0 && e.cpuMs! <= e.processCpuMs + 10, JSON.stringify(e));
      }
    }
    if (process.platform === 'linux') {
      // Every thread of the process over rank 0's span, so a bench can tell the replicas' CPU from
      // the main thread's and V8's helpers'; each replica says which thread is its own.
      const withThreads = profiles as { tid?: number; gcMs?: number; threadsCpuMs?: Record<string, number> }[];
      assert.notEqual(withThreads[0].tid, withThreads[1].tid);
      for (const p of withThreads) {
        assert.ok(Number.isInteger(p.tid) && p.gcMs! >= 0, JSON.stringify(p));
        assert.ok(withThreads[0].threadsCpuMs![String(p.tid)] > 0, JSON.stringify(withThreads[0].threadsCpuMs));
      }
      assert.ok(String(process.pid) in withThreads[0].threadsCpuMs!, 'the main thread is listed');
    }
    // Progress still reports once per epoch, and only rank 0 wrote logs.
    assert.deepEqual(two.progress.filter((p) => p.unit === 'epochs').map((p) => p.done), [0, 1, 2]);
    assert.equal(readFileSync(join(two.model.uri, 'logs', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
    assert.equal(readdirSync(join(two.model.uri, 'logs', 'train')).length, 1);
  });

  it('reaches the accuracy of one worker with Adam and 3 workers (an uneven split of 64 rows)', async () => {
    const one = await run({ run_fn: 'replica_fn', epochs: 2 }, 'adam-1');
    const three = await run({ run_fn: 'replica_fn', epochs: 2, workers: 3 }, 'adam-3');
    assert.equal(three.error, undefined, String(three.error));
    assert.ok(Math.abs(metricsOf(one.model).eval_acc - metricsOf(three.model).eval_acc) <= 0.01, `${metricsOf(one.model).eval_acc} vs ${metricsOf(three.model).eval_acc}`);
  });

  it('on wasm the compiled train step trains the replicas: bit-identical weights, one worker\'s within tolerance, tfjs autograd\'s accuracy', async () => {
    const hp = { optimizer: 'sgd', learning_rate: 0.5 };
    const params = (w: string, extra: Record<string, unknown> = {}) => ({ run_fn: 'replica_fn', backend: 'wasm', epochs: 2, hyperparameters: { ...hp, weights_dir: join(suite.fixture.dir, w) }, ...extra });
    const one = await run(params('cw1'), 'compiled-one');
    const two = await run(params('cw2', { workers: 2 }), 'compiled-two');
    for (const r of [one, two]) {
      assert.equal(r.error, undefined, String(r.error));
      assert.equal(r.logs.filter((l) => /train step: compiled \(2 dense layer/.test(l)).length, 1, r.logs.join('\n'));
      assert.equal(r.logs.filter((l) => /training loop: the runtime's/.test(l)).length, 1, r.logs.join('\n'));
      assert.equal(r.logs.filter((l) => /optimizer step: SGD, fused and sharded over 2 replicas/.test(l)).length, r === two ? 1 : 0, r.logs.join('\n'));
    }
    const replicas = weightsOf(join(suite.fixture.dir, 'cw2'));
    assert.deepEqual(replicas[0], replicas[1], 'both replicas hold the same weights, bit for bit');
    const [single] = weightsOf(join(suite.fixture.dir, 'cw1'));
    single.flat().forEach((w, i) => assert.ok(Math.abs(w - replicas[0].flat()[i]) < 1e-4, `weight ${i}: ${w} vs ${replicas[0].flat()[i]}`));
    // The same training through tfjs's autograd (the compiled step switched off) ends at the same weights within float tolerance.
    process.env.TRIBUTARY_COMPILED_STEP = '0';
    try {
      const tfjs = await run(params('tw1'), 'autograd-one');
      assert.ok(tfjs.logs.some((l) => /train step: tfjs's autograd \(TRIBUTARY_COMPILED_STEP=0\)/.test(l)), tfjs.logs.join('\n'));
      const [reference] = weightsOf(join(suite.fixture.dir, 'tw1'));
      reference.flat().forEach((w, i) => assert.ok(Math.abs(w - single.flat()[i]) < 1e-3, `weight ${i}: autograd ${w} vs compiled ${single.flat()[i]}`));
      for (const k of ['loss', 'acc', 'eval_loss', 'eval_acc']) assert.ok(Math.abs(metricsOf(tfjs.model)[k] - metricsOf(one.model)[k]) < 1e-3, `${k}: ${metricsOf(tfjs.model)[k]} vs ${metricsOf(one.model)[k]}`);
    } finally {
      delete process.env.TRIBUTARY_COMPILED_STEP;
    }
  });

  it('an optimizer without a fused step keeps tfjs\'s own, says so once, and the replicas stay bit-identical', async () => {
    const two = await run({ run_fn: 'replica_fn', epochs: 1, workers: 2, hyperparameters: { optimizer: 'adagrad', weights_dir: join(suite.fixture.dir, 'w-adagrad') } }, 'adagrad-2');
    assert.equal(two.error, undefined, String(two.error));
    assert.equal(two.logs.filter((l) => /optimizer step: tfjs's own \(no fused step for the Adagrad optimizer/.test(l)).length, 1, two.logs.join('\n'));
    const replicas = weightsOf(join(suite.fixture.dir, 'w-adagrad'));
    assert.deepEqual(replicas[0], replicas[1]);
  });

  it('a data-parallel Trainer that died resumes from its last checkpoint', async () => {
    const crashFile = join(suite.fixture.dir, 'crash-once');
    writeFileSync(crashFile, '');
    const params = { run_fn: 'crashing_fn', epochs: 4, workers: 2, hyperparameters: { crash_file: crashFile, crash_after: 2 } };
    const first = await run(params, 'dp-crash-1', 'dp-crash-key');
    assert.match(String(first.error), /simulated crash/);
    const second = await run(params, 'dp-crash-2', 'dp-crash-key');
    assert.equal(second.error, undefined, String(second.error));
    // The replica that crashed may stop the other before its checkpoint of epoch 2 is written.
    assert.ok(second.logs.some((l) => /resumed from the checkpoint after epoch [12]\/4/.test(l)), second.logs.join('\n'));
    assert.equal((second.model.properties as { epochs: number }).epochs, 4);
    assert.ok(metricsOf(second.model).eval_acc > 0.8);
  });

  it('a failing run_fn fails the node once, with its own error, and stops the other replica', async () => {
    const failed = await run({ run_fn: 'throwing_fn', workers: 2 }, 'dp-throw');
    assert.match(String(failed.error), /deliberate failure in run_fn/);
  });

  it('a training cancelled before its replicas start does not start them (an already-aborted signal fires no abort event)', async () => {
    const cancel = new AbortController();
    cancel.abort(new Error('cancelled before the start'));
    const started: number[] = [];
    // A replica that runs until its signal aborts it, as runInWorker's worker does.
    const replica = ({ rank }: { rank: number }, signal: AbortSignal) => {
      started.push(rank);
      return new Promise<number>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const t = setTimeout(() => resolve(rank), 50);
        signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
      });
    };
    await assert.rejects(runReplicas(2, cancel.signal, replica), /cancelled before the start/);
    assert.deepEqual(started, [], 'no replica started');
  });

  it('resolves workers: a number as given; auto is one per GPU with tfjs-node-gpu, else one per core; never more than rows in a batch', () => {
    assert.equal(resolveWorkers(3, 'cpu', { cores: 2, gpus: 0 }, 64), 3);
    assert.equal(resolveWorkers('auto', 'wasm', { cores: 8, gpus: 2 }, 64), 8);
    assert.equal(resolveWorkers('auto', 'auto', { cores: 8, gpus: 2 }, 64), 2);
    assert.equal(resolveWorkers('auto', 'tfjs-node-gpu', { cores: 8, gpus: 4 }, 64), 4);
    assert.equal(resolveWorkers('auto', 'auto', { cores: 8, gpus: 0 }, 64), 8);
    assert.equal(resolveWorkers('auto', 'webgpu', { cores: 8, gpus: 0 }, 64), 1);
    assert.throws(() => resolveWorkers(2, 'webgpu', { cores: 8, gpus: 0 }, 64), /webgpu in Node cannot/);
    // Each replica needs at least one row of every global batch.
    assert.equal(resolveWorkers('auto', 'wasm', { cores: 8, gpus: 0 }, 3), 3);
    assert.equal(resolveWorkers(3, 'cpu', { cores: 2, gpus: 0 }, 3), 3);
    assert.throws(
      () => resolveWorkers(2, 'tfjs-node-gpu', { cores: 8, gpus: 0 }, 1, 'workers_per_trial'),
      (e: Error & { location?: { field?: string } }) => /workers_per_trial: 2 is more than batch_size 1/.test(e.message) && e.location?.field === 'workers_per_trial',
    );
  });

  it('refuses a split with fewer rows than workers: before any starts where the rows are recorded, from the replicas otherwise', async () => {
    const examples = (rows: number) => ({ id: 1, type: 'Examples' as const, uri: '/x', properties: { splits: { train: { rows: 64 }, eval: { rows } } } });
    assert.throws(() => checkSplitRows(examples(1), ['train', 'eval'], 2), (e: Error & { location?: { field?: string } }) => /The eval split has 1 row\(s\), fewer than workers \(2\)/.test(e.message) && e.location?.field === 'workers');
    checkSplitRows(examples(2), ['train', 'eval'], 2);
    checkSplitRows(examples(1), ['train', 'eval'], 1);
    checkSplitRows({ id: 1, type: 'Examples' as const, uri: '/x', properties: {} }, ['train', 'eval'], 2);
    // The fixture's Examples record no rows: the replicas find out (it crashed inside tfjs).
    const { error } = await tiny.run({ run_fn: 'replica_fn', epochs: 1, workers: 2 }, join('root', 'trainer', 'tiny-eval'));
    assert.match(String(error), /has 1 row\(s\), fewer than the 2 workers that share each batch, so no worker gets a batch of it; use at most 1 worker/);
    const one = await tiny.run({ run_fn: 'replica_fn', epochs: 1 }, join('root', 'trainer', 'tiny-eval-1'));
    assert.equal(one.error, undefined, String(one.error));
  });

  it('refuses more workers than rows in a batch before starting any, naming the field (it crashed inside tfjs with an empty dataset)', async () => {
    const { error, logs } = await run({ run_fn: 'replica_fn', epochs: 1, workers: 3, batch_size: 2 }, 'too-many');
    assert.match(String(error), /workers: 3 is more than batch_size 2: each worker trains on its share of every batch of 2 rows/);
    assert.equal((error as { location?: { field?: string } }).location?.field, 'workers');
    assert.ok(!logs.some((l) => /training with/.test(l)), logs.join('\n'));
  });
});
