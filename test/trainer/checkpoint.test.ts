import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readCheckpointMeta } from '../../runtime/src/components/trainer/checkpoint.ts';
import { trainer } from '../../runtime/src/components/trainer/index.ts';
import { modelComponentSuite } from './helpers.ts';

const MODULE = 'test/trainer/fixtures/trainer_module.ts';

describe('Trainer checkpoints, resume and warm start', function () {
  // Another test file may have registered (not started) a backend of higher priority: start it.
  before(async () => {
    await tf.ready();
  });
  this.timeout(180_000);
  const suite = modelComponentSuite(trainer, { module_file: MODULE, batch_size: 64, backend: 'cpu' });

  /** The Trainer as the engine runs it: one output folder per attempt under <root>/trainer/model/, a cache key. */
  const run = async (params: Record<string, unknown>, attempt: string, inputs: Record<string, { type: string; uri: string }> = {}) => {
    const { logs, outputs, error } = await suite.run(params, join('root', 'trainer', attempt), { inputs, cacheKey: `key-of-${JSON.stringify(params)}` });
    return { logs, model: outputs.model, error };
  };

  it('a Trainer that died after epoch 2 of 4 resumes there on a rerun of the same work, optimizer state included', async () => {
    const crashFile = join(suite.fixture.dir, 'crash-once');
    writeFileSync(crashFile, '');
    const params = { run_fn: 'crashing_fn', epochs: 4, hyperparameters: { crash_file: crashFile, crash_after: 2 } };
    const first = await run(params, 'attempt-1');
    assert.match(String(first.error), /simulated crash/);
    const second = await run(params, 'attempt-2');
    assert.equal(second.error, undefined, String(second.error));
    assert.ok(second.logs.some((l) => /resumed from the checkpoint after epoch 2\/4 .*weights and optimizer state restored, 2 epoch\(s\) to go/.test(l)), second.logs.join('\n'));
    // Only epochs 3 and 4 ran again; the Model records all four.
    const epochs = readFileSync(join(second.model.uri, 'logs', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch);
    assert.deepEqual(epochs, [2, 3]);
    assert.equal((second.model.properties as { epochs: number }).epochs, 4);
    // The last checkpoint moved into the Model; Adam's step count went on from the restored one
    // (2000 rows / 64 = 32 steps an epoch: 128 after 4 epochs, 64 had it restarted).
    const dir = join(second.model.uri, 'checkpoint');
    const meta = readCheckpointMeta(dir)!;
    assert.equal(meta.epoch, 4);
    const data = readFileSync(join(dir, 'weights.bin'));
    const all = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), [...meta.weights, ...meta.optimizer]);
    assert.equal(all[meta.optimizer[0].name].dataSync()[0], 128);
    assert.ok(!existsSync(join(suite.fixture.dir, 'root', '.checkpoints', `key-of-${JSON.stringify(params)}`.slice(0, 32))), 'the work folder is gone');
    assert.ok((second.model.properties as { metrics: Record<string, number> }).metrics.eval_acc > 0.8);
  });

  it('warm-starts from a base_model input: the weights that match by name and shape', async () => {
    const base = await run({ epochs: 1 }, 'base');
    assert.equal(base.error, undefined);
    const same = await run({ epochs: 1, hyperparameters: { learning_rate: 0.01 } }, 'warm', { base_model: { type: 'Model', uri: base.model.uri } });
    assert.ok(same.logs.some((l) => /warm start from the base model: 4 of 4 weights taken/.test(l)), same.logs.join('\n'));
    const wider = await run({ epochs: 1, hyperparameters: { units: 16 } }, 'wider', { base_model: { type: 'Model', uri: base.model.uri } });
    // The hidden layer and the output kernel change shape; only the output bias still fits.
    assert.ok(wider.logs.some((l) => /warm start from the base model: 1 of 4 weights taken/.test(l)), wider.logs.join('\n'));
  });
});
