/** Transform's declaration: ports and parameters (read without loading the executor). */
import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const transformParams = Type.Object({
  module_file: Type.String({
    'x-module': true,
    description: 'TypeScript or JavaScript module exporting the preprocessing function (relative to the pipeline file).',
  }),
  preprocessing_fn: Type.String({
    default: 'preprocessing_fn',
    description: 'Name of the exported function: (inputs: RawColumns, tft: Analyzers) => TransformedColumns.',
  }),
  label: Type.Optional(Type.String({ description: 'The output feature that is the label (recorded on the graph so it is not fed to the model).' })),
  analyze_splits: Type.Array(Type.String(), {
    default: ['train'],
    description: 'Splits the full-pass analyzers (mean, vocabulary, quantiles...) read: training data only, as in TFX.',
  }),
  transform_splits: Type.Array(Type.String(), { default: [], description: 'Splits to transform; empty: every split.' }),
  timeout: Type.Number({
    minimum: 0,
    default: 600,
    description: 'Seconds the node may run; when exceeded its workers are terminated and it fails. 0: no limit.',
  }),
});

export const transformSpec = {
  type: 'Transform',
  version: '1',
  category: 'model',
  icon: 'symbol-function',
  description:
    'Feature engineering the tf.Transform way: full-pass analyzers (z-score, min-max, vocabularies, quantile buckets) computed by map-reduce over the training shards, then the preprocessing function applied to every split. Outputs the transform graph that serving re-applies and the transformed examples.',
  inputs: {
    examples: { type: 'Examples', description: 'Raw examples.' },
    schema: { type: 'Schema', description: 'Schema of the raw examples: decides which features are strings (BYTES) or numbers.' },
  },
  outputs: {
    transform_graph: { type: 'TransformGraph', description: 'transform_graph.json (analyzer results, features) + module.mjs (the compiled function).' },
    transformed_examples: { type: 'Examples', description: 'The transformed features per split: numeric as Float64, categorical ids as Int32.' },
  },
  params: transformParams,
} satisfies ComponentSpec;
