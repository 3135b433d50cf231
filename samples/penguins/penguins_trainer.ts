/**
 * The penguin classifier: z-scored measurements through a small dense layer, island and sex
 * one-hot, joined into a softmax over the species. Sparse categorical cross-entropy on class ids.
 */
import { oneHot, type RunFn } from 'tributary';

export const run_fn: RunFn = async (ctx) => {
  const { tf, input_features: features, hyperparameters: hp } = ctx;
  type Symbolic = ReturnType<typeof tf.input>;
  const inputs = features.map((f) => tf.input({ shape: [1], name: f.name, dtype: f.dtype }));
  const numeric = inputs.filter((_, i) => features[i].kind === 'numeric');
  const categorical = inputs.flatMap((x, i) =>
    features[i].kind === 'categorical' ? [oneHot({ depth: Math.max(1, features[i].vocabularySize ?? 1) }).apply(x) as Symbolic] : [],
  );
  const deep = tf.layers.dense({ units: Number(hp.hidden_units ?? 16), activation: 'relu' }).apply(tf.layers.concatenate().apply(numeric)) as Symbolic;
  const joined = tf.layers.concatenate().apply([deep, ...categorical]) as Symbolic;
  const classes = Number(hp.num_classes ?? 3);
  const output = tf.layers.dense({ units: classes, activation: 'softmax', name: 'species' }).apply(joined) as Symbolic;
  const model = tf.model({ inputs, outputs: output });
  model.compile({ optimizer: tf.train.adam(Number(hp.learning_rate ?? 0.01)), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  ctx.log.info(`penguins: ${model.countParams()} parameters, ${classes} classes, backend ${ctx.backend}`);
  await model.fitDataset(ctx.train_dataset, { epochs: ctx.epochs, validationData: ctx.eval_dataset, callbacks: ctx.callbacks, verbose: 0 });
  return { model };
};
