/**
 * The taxi model, as TFX's taxi_utils run_fn: a wide-and-deep classifier of "big tipper".
 * Deep part: the z-scored numeric features through dense layers of 100·0.7^i units. Wide part: every
 * categorical id one-hot encoded (no embedding layers: they do not train on the wasm backend),
 * joined with the deep output into one sigmoid unit. Binary cross-entropy, Adam 1e-3.
 */
import { oneHot, type RunFn, type RunFnContext, type TunerFn } from 'tributary';

type SymbolicTensor = ReturnType<RunFnContext['tf']['input']>;

export function buildModel(ctx: Pick<RunFnContext, 'tf' | 'input_features' | 'hyperparameters'>) {
  const { tf, input_features: features, hyperparameters: hp } = ctx;
  const numLayers = Number(hp.num_dnn_layers ?? 4);
  const firstLayer = Number(hp.first_dnn_layer_size ?? 100);
  const decay = Number(hp.dnn_decay_factor ?? 0.7);
  const inputs = features.map((f) => tf.input({ shape: [1], name: f.name, dtype: f.dtype }));
  const numeric = inputs.filter((_, i) => features[i].kind === 'numeric');
  const wide = inputs.flatMap((x, i) =>
    features[i].kind === 'categorical' ? [oneHot({ depth: Math.max(1, features[i].vocabularySize ?? 1), name: `${features[i].name}_onehot` }).apply(x) as SymbolicTensor] : [],
  );
  const parts: SymbolicTensor[] = [];
  if (numeric.length) {
    let deep = numeric.length > 1 ? (tf.layers.concatenate().apply(numeric) as SymbolicTensor) : numeric[0];
    for (let i = 0; i < numLayers; i++) {
      deep = tf.layers.dense({ units: Math.max(2, Math.floor(firstLayer * decay ** i)), activation: 'relu' }).apply(deep) as SymbolicTensor;
    }
    parts.push(deep);
  }
  parts.push(...wide);
  const joined = parts.length > 1 ? (tf.layers.concatenate().apply(parts) as SymbolicTensor) : parts[0];
  const output = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'big_tipper' }).apply(joined) as SymbolicTensor;
  const model = tf.model({ inputs, outputs: output });
  model.compile({ optimizer: tf.train.adam(Number(hp.learning_rate ?? 1e-3)), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

export const run_fn: RunFn = async (ctx) => {
  const model = buildModel(ctx);
  ctx.log.info(`wide & deep: ${model.countParams()} parameters, ${ctx.input_features.length} inputs, backend ${ctx.backend}`);
  await model.fitDataset(ctx.train_dataset, { epochs: ctx.epochs, validationData: ctx.eval_dataset, callbacks: ctx.callbacks, verbose: 0 });
  return { model };
};

export const tuner_fn: TunerFn = ({ hp }) => ({
  search_space: {
    learning_rate: hp.float(1e-3, 3e-2, { log: true }),
    num_dnn_layers: hp.int(1, 4),
    first_dnn_layer_size: hp.choice([32, 64, 100]),
  },
  // Loss, not accuracy: in short trials accuracy sits at the majority class for most settings,
  // while the loss already ranks them.
  objective: { metric: 'eval_loss', direction: 'min' },
  max_trials: 6,
});
