/**
 * Parameters every ExampleGen shares (CsvExampleGen, ParquetExampleGen, ImportExampleGen), declared
 * once so their specs, validation, completion and docs agree.
 */
import { Type } from '@sinclair/typebox';

export function inputParam(what: string, example: string) {
  return Type.String({
    'x-path': 'glob',
    'x-span-range': 'span_range',
    description: `${what}, a glob such as ${example}, or a folder of shards; relative to the pipeline file. With a {SPAN} placeholder (and optionally {VERSION}), e.g. data/span-{SPAN}/*, only the latest span (at its latest version) is read, or the spans span_range selects.`,
  });
}

export const spanRangeParam = Type.Optional(
  Type.Object(
    {
      start: Type.Optional(Type.Integer({ minimum: 0, description: 'First span, inclusive.' })),
      end: Type.Optional(Type.Integer({ minimum: 0, description: 'Last span, inclusive (default: the latest).' })),
      latest: Type.Optional(Type.Integer({ minimum: 1, description: 'The last N spans found (rolling range); not with start/end.' })),
    },
    {
      additionalProperties: false,
      description: 'Which spans of a {SPAN} input to read (TFX RangeConfig): start/end (static range) or latest N (rolling). Default: the latest span.',
    },
  ),
);

export function splitsParam(hashOf: string) {
  return Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), Type.Number({ exclusiveMinimum: 0 }), {
    default: { train: 2, eval: 1 },
    minProperties: 1,
    description: `Split name → relative weight. Rows are assigned by a hash of ${hashOf}, so the split is deterministic.`,
  });
}

export const splitKeyParam = Type.Optional(
  Type.Array(Type.String(), {
    minItems: 1,
    description: 'Columns to hash for the split instead of the whole row (rows sharing these values land in the same split).',
  }),
);

export function skipBadRowsParam(what: string) {
  return Type.Boolean({ default: false, description: `Skip ${what} (counted and reported) instead of failing on the first one.` });
}
