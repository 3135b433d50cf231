import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { numericBatchLogs } from '../../runtime/src/components/trainer/batch-logs.ts';

describe('Trainer: batch logs as numbers on host backends', () => {
  // Another test file may have registered (not started) a backend of higher priority: start it.
  before(async () => {
    await tf.ready();
  });
  const fitRecording = async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const xs = tf.tensor2d(Array.from({ length: 50 }, (_, i) => [i / 50, (i % 7) / 7]));
    const ys = tf.tensor2d(Array.from({ length: 50 }, (_, i) => [i % 2]));
    const batches: { kind: string; loss: unknown; size: number }[][] = [[], []];
    const tensorsAtEpochEnd: number[] = [];
    const epochLoss: number[] = [];
    class Probe extends tf.Callback {
      override async onBatchEnd(_batch: number, logs?: tf.Logs) {
        batches[batches[0].length < 4 ? 0 : 1].push({ kind: typeof logs?.loss, loss: logs?.loss, size: logs?.size as number });
      }
      override async onEpochEnd(_epoch: number, logs?: tf.Logs) {
        tensorsAtEpochEnd.push(tf.memory().numTensors);
        epochLoss.push(logs?.loss as number);
      }
    }
    // 50 rows in batches of 16: 16, 16, 16, 2 per epoch.
    await model.fit(xs, ys, { epochs: 2, batchSize: 16, shuffle: false, callbacks: [new Probe()], verbose: 0 });
    tf.dispose([xs, ys]);
    model.dispose();
    return { batches, tensorsAtEpochEnd, epochLoss };
  };

  it('reads the scalars once before any callback: the epoch totals are sums of numbers, no tensor is left behind', async () => {
    const restore = numericBatchLogs('cpu');
    let run;
    try {
      run = await fitRecording();
    } finally {
      restore();
    }
    for (const epoch of run.batches) {
      assert.deepEqual(epoch.map((b) => b.kind), ['number', 'number', 'number', 'number']);
      assert.deepEqual(epoch.map((b) => b.size), [16, 16, 16, 2]);
    }
    // tfjs's BaseLogger on numbers: Σ loss·size / Σ size, in this order.
    run.batches.forEach((epoch, i) => {
      const total = epoch.reduce((t, b) => t + (b.loss as number) * b.size, 0);
      assert.equal(run.epochLoss[i], total / 50);
    });
    assert.equal(run.tensorsAtEpochEnd[1], run.tensorsAtEpochEnd[0], 'the read scalars were disposed');
  });

  it("leaves a GPU backend's logs as tensors (a read would wait for the device every batch), and the undo restores tfjs", async () => {
    const original = tf.CallbackList.prototype.onBatchEnd;
    const restore = numericBatchLogs('webgpu');
    let run;
    try {
      run = await fitRecording();
    } finally {
      restore();
    }
    assert.deepEqual([...new Set(run.batches.flat().map((b) => b.kind))], ['object']);
    numericBatchLogs('wasm')();
    assert.equal(tf.CallbackList.prototype.onBatchEnd, original);
  });
});
