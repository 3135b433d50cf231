/** StatisticsGen's declaration: ports and parameters (read without loading the executor). */
import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const statisticsGenParams = Type.Object({
  exclude_splits: Type.Array(Type.String(), { default: [], description: 'Splits to skip, e.g. ["eval"].' }),
  top_k: Type.Integer({ minimum: 1, default: 20, description: 'Most frequent values reported per feature.' }),
  num_histogram_buckets: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Buckets of the equal-width (STANDARD) histogram of numeric features.',
  }),
  num_quantiles_histogram_buckets: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Buckets of the equal-count (QUANTILES) histogram of numeric features.',
  }),
  distinct_exact_limit: Type.Integer({
    minimum: 1,
    default: 10000,
    description:
      'Distinct values per feature counted exactly (with exact quantiles and top values); above it a HyperLogLog, a KLL quantile sketch and a heavy-hitters summary take over.',
  }),
  sketch_k: Type.Integer({
    minimum: 8,
    default: 200,
    description: 'Accuracy of the KLL quantile sketch: rank error ≈ 2.6/k (1.3% at 200), memory ≈ 3k values per feature.',
  }),
});

export const statisticsGenSpec = {
  type: 'StatisticsGen',
  version: '1',
  category: 'data',
  icon: 'graph',
  description:
    'Computes per-split feature statistics (counts, missing, mean, std, quantiles, histograms, distinct and top values) in one streaming pass over the examples, in TFDV format.',
  inputs: {
    examples: { type: 'Examples', description: 'The examples to describe.' },
    schema: {
      type: 'Schema',
      optional: true as const,
      description: 'Optional schema whose feature types override the stored ones (e.g. an INT feature read as categorical).',
    },
  },
  outputs: {
    statistics: { type: 'ExampleStatistics', description: 'FeatureStats.json: one dataset per split.' },
  },
  params: statisticsGenParams,
} satisfies ComponentSpec;
