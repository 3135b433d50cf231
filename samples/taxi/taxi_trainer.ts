/**
 * The taxi model, as TFX's taxi_utils run_fn: a wide-and-deep classifier of "big tipper".
 * Deep part: the z-scored numeric features, and embeddings of the high-cardinality categorical
 * ids (company, census tracts, community areas: vocabulary ≥ `embedding_min_vocabulary`),
 * through dense layers of 100·0.7^i units. Wide part: the other categorical ids one-hot encoded,
 * joined with the deep output into one sigmoid unit. Binary cross-entropy, Adam 1e-3.
 * Embeddings only where the backend trains them (not wasm: `ctx.supports.embeddings`); there
 * every categorical id is one-hot. The Model records which encoding each feature got.
 */
import { oneHot, type RunFn, type RunFnContext, type TunerFn } from 'tributary';

type SymbolicTensor = ReturnType<RunFnContext['tf']['input']>;

/** How a categorical feature enters the model: a learned embedding (of this width) or one-hot. */
export type Encoding = { kind: 'embedding'; dim: number; vocabulary: number } | { kind: 'onehot'; vocabulary: number };

/** Embedding width by the usual rule of thumb, 6·vocabulary^¼, capped at 16. */
const embeddingDim = (vocabulary: number) => Math.min(16, Math.ceil(6 * vocabulary ** 0.25));

/** Per categorical feature: an embedding when the backend trains them and the vocabulary is large, else one-hot. */
export function chooseEncodings(ctx: Pick<RunFnContext, 'input_features' | 'hyperparameters' | 'supports'>): Record<string, Encoding> {
  const minVocabulary = Number(ctx.hyperparameters.embedding_min_vocabulary ?? 50);
  const out: Record<string, Encoding> = {};
  for (const f of ctx.input_features) {
    if (f.kind !== 'categorical') continue;
    const vocabulary = Math.max(1, f.vocabularySize ?? 1);
    out[f.name] = ctx.supports.embeddings && vocabulary >= minVocabulary ? { kind: 'embedding', dim: embeddingDim(vocabulary), vocabulary } : { kind: 'onehot', vocabulary };
  }
  return out;
}

export function buildModel(ctx: Pick<RunFnContext, 'tf' | 'input_features' | 'hyperparameters' | 'supports'>) {
  const { tf, input_features: features, hyperparameters: hp } = ctx;
  const numLayers = Number(hp.num_dnn_layers ?? 4);
  const firstLayer = Number(hp.first_dnn_layer_size ?? 100);
  const decay = Number(hp.dnn_decay_factor ?? 0.7);
  const encodings = chooseEncodings(ctx);
  const inputs = features.map((f) => tf.input({ shape: [1], name: f.name, dtype: f.dtype }));
  const deepInputs: SymbolicTensor[] = [];
  const wide: SymbolicTensor[] = [];
  inputs.forEach((x, i) => {
    const f = features[i];
    const encoding = encodings[f.name];
    if (!encoding) deepInputs.push(x);
    else if (encoding.kind === 'onehot') wide.push(oneHot({ depth: encoding.vocabulary, name: `${f.name}_onehot` }).apply(x) as SymbolicTensor);
    else {
      const embedded = tf.layers.embedding({ inputDim: encoding.vocabulary, outputDim: encoding.dim, name: `${f.name}_embedding` }).apply(x) as SymbolicTensor;
      deepInputs.push(tf.layers.flatten().apply(embedded) as SymbolicTensor);
    }
  });
  const parts: SymbolicTensor[] = [];
  if (deepInputs.length) {
    let deep = deepInputs.length > 1 ? (tf.layers.concatenate().apply(deepInputs) as SymbolicTensor) : deepInputs[0];
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
  return { model, encodings };
}

export const run_fn: RunFn = async (ctx) => {
  const { model, encodings } = buildModel(ctx);
  const embedded = Object.entries(encodings).filter(([, e]) => e.kind === 'embedding').map(([name, e]) => `${name}(${e.vocabulary}→${(e as { dim: number }).dim})`);
  ctx.log.info(
    `wide & deep: ${model.countParams()} parameters, ${ctx.input_features.length} inputs, backend ${ctx.backend}; ` +
      (embedded.length ? `embeddings for ${embedded.join(', ')}, the other categorical features one-hot` : `every categorical feature one-hot${ctx.supports.embeddings ? '' : ' (embeddings do not train on this backend)'}`),
  );
  await model.fitDataset(ctx.train_dataset, { epochs: ctx.epochs, validationData: ctx.eval_dataset, callbacks: ctx.callbacks, verbose: 0 });
  return { model, properties: { featureEncodings: encodings } };
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
