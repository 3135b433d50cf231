/**
 * Batch logs as numbers, read once. tfjs hands each batch's loss and metrics to the callbacks as
 * scalar tensors, and the first callback, its own BaseLogger, sums them into the epoch's totals
 * with tensor kernels: a multiply and an add per metric and batch, in a tidy scope (4 kernel
 * calls a step for the taxi model's loss and accuracy; 0.03–0.06 ms a step on wasm, measured in a
 * training thread, about a tenth of what a step spends outside its train function). Where the backend's
 * tensors live in host memory (cpu, wasm) a scalar reads synchronously for next to nothing, so
 * the batch's scalars are read to numbers (and disposed) before any callback sees them: the
 * totals are then plain sums, as Keras's are, and callbacks get the documented `Logs` of numbers.
 * On GPU backends a read would wait for the device every batch: tfjs's way stays.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../ml/backend-names.ts';

/** Backends whose tensors a synchronous read reaches without waiting for a device. */
const HOST_BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

type OnBatchEnd = tf.CallbackList['onBatchEnd'];

/**
 * Makes every CallbackList of this thread's tfjs read scalar batch logs to numbers first (on a host
 * backend; otherwise does nothing). Returns the undo.
 */
export function numericBatchLogs(backend: BackendName): () => void {
  if (!HOST_BACKENDS.includes(backend)) return () => undefined;
  const proto = tf.CallbackList.prototype;
  const onBatchEnd = proto.onBatchEnd;
  proto.onBatchEnd = function (this: tf.CallbackList, batch: number, logs?: Parameters<OnBatchEnd>[1]) {
    if (logs) readScalars(logs as Record<string, unknown>);
    return onBatchEnd.call(this, batch, logs);
  };
  return () => {
    proto.onBatchEnd = onBatchEnd;
  };
}

/** Replaces each scalar tensor of `logs` with its value, disposing it (tfjs would dispose it after the callbacks). */
export function readScalars(logs: Record<string, unknown>): void {
  for (const key of Object.keys(logs)) {
    const value = logs[key];
    if (value instanceof tf.Tensor && value.size === 1) {
      logs[key] = value.dataSync()[0];
      value.dispose();
    }
  }
}
