import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const exampleValidatorSpec = {
  type: 'ExampleValidator',
  version: '1',
  category: 'data',
  icon: 'pass',
  description:
    'Checks example statistics against a schema (missing or new columns, types, presence, value counts, ' +
    'domains) and for drift between splits and against earlier statistics; writes the anomalies per split.',
  inputs: {
    statistics: { type: 'ExampleStatistics', description: 'Statistics of the data to check.' },
    schema: { type: 'Schema', description: 'The schema the data must satisfy.' },
    baseline_statistics: {
      type: 'ExampleStatistics',
      optional: true,
      description:
        'Earlier statistics: each split is compared for drift with the split of the same name. Not wired: the previous span\'s statistics from the metadata store (compare_previous_span).',
    },
  },
  outputs: {
    anomalies: { type: 'ExampleAnomalies', description: 'Anomalies per split, as anomalies.json.' },
  },
  params: Type.Object({
    exclude_splits: Type.Array(Type.String(), { default: [], description: 'Splits not to check.' }),
    drift: Type.Optional(
      Type.Array(
        Type.Object({
          baseline: Type.String({ description: 'The split compared against, e.g. train.' }),
          current: Type.String({ description: 'The split checked for drift; anomalies go on this split.' }),
        }),
        { description: 'Pairs of splits to compare for drift. Default: eval against train when both exist. [] turns it off.' },
      ),
    ),
    linf_threshold: Type.Number({
      default: 0.1,
      minimum: 0,
      description: 'String features drift when the L-infinity distance of their value frequencies is above this (0..1).',
    }),
    jsd_threshold: Type.Number({
      default: 0.1,
      minimum: 0,
      description: 'Numeric features drift when the Jensen-Shannon divergence (base 2, 0..1) of their histograms is above this.',
    }),
    compare_previous_span: Type.Boolean({
      default: true,
      description:
        'When baseline_statistics is not wired and the data has a span: compare each split with the same split of the previous span found in the metadata store (drift, and columns dropped, added, retyped or with a jump in missing values). The statistics compared with are part of the cache key and recorded as the input previous_statistics.',
    }),
    missing_rate_threshold: Type.Number({
      default: 0.05,
      minimum: 0,
      maximum: 1,
      description: 'A feature is flagged when its missing fraction grew by more than this since the previous span (0.05 = 5 points).',
    }),
    fail_on_error: Type.Boolean({
      default: false,
      description: 'Fail the node, writing no output, when any ERROR anomaly is found.',
    }),
  }),
} satisfies ComponentSpec;
