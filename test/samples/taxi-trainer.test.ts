import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { OutputFeature } from '../../runtime/src/ml/api.ts';
import { selectBackend } from '../../runtime/src/ml/backend.ts';
import { buildModel, chooseEncodings } from '../../samples/taxi/taxi_trainer.ts';

const FEATURES: OutputFeature[] = [
  { name: 'fare_xf', dtype: 'float32', kind: 'numeric' },
  { name: 'payment_type_xf', dtype: 'int32', kind: 'categorical', vocabularySize: 16 },
  { name: 'company_xf', dtype: 'int32', kind: 'categorical', vocabularySize: 51 },
  { name: 'pickup_census_tract_xf', dtype: 'int32', kind: 'categorical', vocabularySize: 301 },
];
const quiet = { info: () => undefined, warn: () => undefined };

describe('samples/taxi trainer: embeddings where the backend trains them', () => {
  it('embeds the high-cardinality features when the backend supports it, one-hot otherwise', () => {
    const withEmbeddings = chooseEncodings({ input_features: FEATURES, hyperparameters: {}, supports: { embeddings: true } });
    assert.deepEqual(withEmbeddings, {
      payment_type_xf: { kind: 'onehot', vocabulary: 16 },
      company_xf: { kind: 'embedding', dim: 16, vocabulary: 51 },
      pickup_census_tract_xf: { kind: 'embedding', dim: 16, vocabulary: 301 },
    });
    const without = chooseEncodings({ input_features: FEATURES, hyperparameters: {}, supports: { embeddings: false } });
    assert.ok(Object.values(without).every((e) => e.kind === 'onehot'));
    const higher = chooseEncodings({ input_features: FEATURES, hyperparameters: { embedding_min_vocabulary: 100 }, supports: { embeddings: true } });
    assert.deepEqual(Object.entries(higher).map(([k, e]) => [k, e.kind]), [['payment_type_xf', 'onehot'], ['company_xf', 'onehot'], ['pickup_census_tract_xf', 'embedding']]);
  });

  it('the embedding model trains on cpu (the loss falls) and its layers are the ones recorded', async () => {
    await selectBackend('cpu', quiet);
    const { model, encodings } = buildModel({ tf, input_features: FEATURES, hyperparameters: { learning_rate: 0.05, num_dnn_layers: 1 }, supports: { embeddings: true } });
    assert.deepEqual(model.layers.filter((l) => l.getClassName() === 'Embedding').map((l) => l.name).sort(), ['company_xf_embedding', 'pickup_census_tract_xf_embedding']);
    assert.equal(encodings.company_xf.kind, 'embedding');
    const n = 512;
    const company = Int32Array.from({ length: n }, (_, i) => i % 51);
    const xs = {
      fare_xf: tf.tensor2d(Float32Array.from({ length: n }, (_, i) => (i % 7) / 7), [n, 1]),
      payment_type_xf: tf.tensor2d(Int32Array.from({ length: n }, (_, i) => i % 16), [n, 1], 'int32'),
      company_xf: tf.tensor2d(company, [n, 1], 'int32'),
      pickup_census_tract_xf: tf.tensor2d(Int32Array.from({ length: n }, (_, i) => (i * 7) % 301), [n, 1], 'int32'),
    };
    // The label depends on the company only: the embedding has to learn it.
    const ys = tf.tensor2d(Float32Array.from(company, (c) => (c % 3 === 0 ? 1 : 0)), [n, 1]);
    const history = await model.fit(xs, ys, { epochs: 15, batchSize: 64, verbose: 0 });
    const loss = history.history.loss as number[];
    assert.ok(loss.at(-1)! < loss[0] * 0.5, `loss ${loss[0]} → ${loss.at(-1)}`);
    tf.dispose([...Object.values(xs), ys]);
    model.dispose();
  });
});
