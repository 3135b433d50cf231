/**
 * Layers the runtime provides for models over transformed features, registered for
 * (de)serialization so a saved bundle loads wherever this module is imported (bundle.ts does).
 *
 * Why OneHot and not tf.layers.categoryEncoding: tfjs 4.22's CategoryEncoding mutates its input's
 * shape while computing its output shape (a model over an Input then rejects its own inputs) and
 * syncs min/max to the host on every batch. Embedding layers do not train on wasm.
 */
import * as tf from '@tensorflow/tfjs';

export interface OneHotArgs {
  /** Number of categories: ids in [0, depth); other ids give an all-zero row. */
  depth: number;
  name?: string;
}

/** `[batch, 1]` (or `[batch]`) integer ids → `[batch, depth]` float32 one-hot rows. */
export class OneHot extends tf.layers.Layer {
  static readonly className = 'TributaryOneHot';
  readonly depth: number;

  constructor(args: OneHotArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.depth) || args.depth < 1) throw new Error(`OneHot depth must be a positive integer, got ${args.depth}`);
    this.depth = args.depth;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.depth];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const ids = x.dtype === 'int32' ? x : tf.cast(x, 'int32');
      return tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, this.depth).toFloat();
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depth: this.depth };
  }
}
tf.serialization.registerClass(OneHot);

export function oneHot(args: OneHotArgs): OneHot {
  return new OneHot(args);
}
