/** fit's `callbacks` argument as callback objects. */
import * as tf from '@tensorflow/tfjs';

type Callbacks = tf.ModelFitArgs['callbacks'];

/**
 * tfjs takes either callback objects or plain configs, not a mix: configs become the
 * CustomCallbacks tfjs itself would make of them (with the fit's `yieldEvery`).
 */
export function callbackObjects(callbacks: Callbacks, yieldEvery?: tf.ModelFitArgs['yieldEvery']): tf.Callback[] {
  const list = callbacks === undefined ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  return list.map((c) => (typeof (c as tf.Callback).setParams === 'function' ? (c as tf.Callback) : (new tf.CustomCallback(c as tf.CustomCallbackArgs, yieldEvery) as unknown as tf.Callback)));
}
