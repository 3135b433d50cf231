import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const schemaGenSpec = {
  type: 'SchemaGen',
  version: '1',
  category: 'data',
  icon: 'symbol-structure',
  description:
    'Infers a schema (types, presence, value counts, string domains, numeric ranges) from example statistics, ' +
    'over the union of the non-excluded splits as TFX does; or checks and passes on a user-supplied schema file.',
  inputs: {
    statistics: { type: 'ExampleStatistics', description: 'Statistics to infer the schema from.' },
  },
  outputs: {
    schema: { type: 'Schema', description: 'The inferred (or supplied) schema, as schema.json.' },
  },
  params: Type.Object({
    schema_file: Type.Optional(
      Type.String({
        'x-path': 'file',
        description:
          'A schema JSON file (tensorflow_metadata Schema, proto3 JSON) to use instead of inferring one. ' +
          'It is checked, normalised and written as the output.',
      }),
    ),
    exclude_splits: Type.Array(Type.String(), {
      default: [],
      description: 'Splits whose statistics are left out of the inference.',
    }),
    infer_feature_shape: Type.Boolean({
      default: true,
      description: 'Record valueCount min=max=1 for features that always have exactly one value.',
    }),
    max_domain_size: Type.Integer({
      default: 100,
      minimum: 0,
      description: 'String features with at most this many distinct values get a string domain listing them.',
    }),
    infer_ranges: Type.Boolean({
      default: true,
      description: 'Record the observed min/max of numeric features as intDomain/floatDomain.',
    }),
  }),
} satisfies ComponentSpec;
