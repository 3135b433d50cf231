import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openSession, type Session } from '../../runtime/src/components/trainer/session.ts';
import { type Fixture, makeFixture } from './helpers.ts';

describe('Trainer session: per-batch bookkeeping', function () {
  this.timeout(60_000);
  let fx: Fixture;
  // The session logs as a training worker does, to the console: kept here instead.
  const logged: string[] = [];
  const log = console.log;
  before(() => {
    fx = makeFixture(300, 100);
    console.log = (m: string) => void logged.push(m);
  });
  after(() => {
    console.log = log;
    rmSync(fx.dir, { recursive: true, force: true });
  });

  const open = (logDir: string) => {
    const shards = (split: string) => readdirSync(join(fx.examplesUri, split)).map((f) => join(fx.examplesUri, split, f));
    return openSession({ backend: 'cpu', transformGraphUri: fx.graphUri, trainShards: shards('Split-train'), evalShards: shards('Split-eval'), hyperparameters: {}, epochs: 2, batchSize: 64, shuffleBuffer: 1000, seed: 1, logDir: join(fx.dir, logDir) });
  };
  const modelFor = (session: Session) => {
    const inputs = session.inputFeatures.map((f) => tf.input({ shape: [1], name: f.name, dtype: f.dtype }));
    const numeric = inputs.filter((_, i) => session.inputFeatures[i].kind === 'numeric');
    const out = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(tf.layers.concatenate().apply(numeric)) as tf.SymbolicTensor;
    const model = tf.model({ inputs, outputs: out });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    return model;
  };

  it("counts examples and steps with a callback of its own, after run_fn's, and leaves ctx.callbacks no batch hooks", async () => {
    const session = await open('logs-a');
    try {
      const seen: string[] = [];
      // A config's batch hook costs an awaited read of the batch's loss and metrics (tfjs resolves
      // them for it): on a GPU backend, a wait for the device every batch. The meter needs neither.
      assert.equal(session.ctx.callbacks.onBatchEnd, undefined);
      assert.equal(session.ctx.callbacks.onBatchBegin, undefined);
      class Probe extends tf.Callback {
        override async onBatchEnd(_batch: number, logs?: tf.Logs) {
          seen.push(typeof logs?.loss);
        }
      }
      const model = modelFor(session);
      await model.fitDataset(session.ctx.train_dataset, { epochs: session.ctx.epochs, callbacks: [session.ctx.callbacks, new Probe()] as never, verbose: 0 });
      const steps = 2 * Math.ceil(300 / 64);
      assert.equal(seen.length, steps);
      // On the cpu backend the batch's loss is read once, to a number, before any callback (batch-logs.ts).
      assert.deepEqual([...new Set(seen)], ['number']);
      assert.deepEqual(session.throughput().examples, 600);
      assert.ok(session.throughput().seconds > 0);
      assert.equal(session.profile().steps, steps);
      assert.deepEqual(session.profile().epochs?.map((e) => e.steps), [steps / 2, steps / 2]);
      // ctx.callbacks' epoch hooks still ran, with the epoch's metrics.
      assert.deepEqual(session.history.map((h) => h.epoch), [0, 1]);
      assert.equal(logged.filter((l) => /^epoch [12]\/2: loss=/.test(l)).length, 2, logged.join('\n'));
      assert.ok(session.history.every((h) => typeof h.loss === 'number' && typeof h.acc === 'number'), JSON.stringify(session.history));
      model.dispose();
    } finally {
      session.close();
    }
  });

  it('counts a fit whose run_fn passes no callbacks, and keeps a single config or callback object working', async () => {
    const session = await open('logs-b');
    try {
      const model = modelFor(session);
      await model.fitDataset(session.ctx.train_dataset, { epochs: 1, verbose: 0 });
      assert.equal(session.throughput().examples, 300);
      let ends = 0;
      await model.fitDataset(session.ctx.train_dataset, { epochs: 1, verbose: 0, callbacks: { onEpochEnd: async () => void ends++ } });
      await model.fitDataset(session.ctx.train_dataset, { epochs: 1, verbose: 0, callbacks: tf.callbacks.earlyStopping({ monitor: 'loss', patience: 5 }) });
      assert.equal(ends, 1);
      assert.equal(session.throughput().examples, 900);
      assert.equal(session.profile().steps, 3 * Math.ceil(300 / 64));
      model.dispose();
    } finally {
      session.close();
    }
  });
});
