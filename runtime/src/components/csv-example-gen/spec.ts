import { Type } from '@sinclair/typebox';
import { ARTIFACT_DESCRIPTIONS } from '../../core/artifacts.ts';
import type { ComponentSpec } from '../../core/component.ts';

export const csvExampleGenOutputs = {
  examples: { type: 'Examples' as const, description: ARTIFACT_DESCRIPTIONS.Examples },
};

export const csvExampleGenParams = Type.Object({
  input: Type.String({
    'x-path': 'glob',
    'x-span-range': 'span_range',
    description:
      'A CSV or JSONL file, a glob such as data/*.csv, or a folder of shards; relative to the pipeline file. With a {SPAN} placeholder (and optionally {VERSION}), e.g. data/span-{SPAN}/*.csv, only the latest span (at its latest version) is read, or the spans span_range selects.',
  }),
  span_range: Type.Optional(
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
  ),
  format: Type.Union([Type.Literal('auto'), Type.Literal('csv'), Type.Literal('jsonl')], {
    default: 'auto',
    description: 'Input format; auto decides by extension (.csv/.tsv → csv, .jsonl/.ndjson/.json → newline-delimited JSON).',
  }),
  splits: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), Type.Number({ exclusiveMinimum: 0 }), {
    default: { train: 2, eval: 1 },
    minProperties: 1,
    description: 'Split name → relative weight. Rows are assigned by a hash of their bytes, so the split is deterministic.',
  }),
  split_key: Type.Optional(
    Type.Array(Type.String(), {
      minItems: 1,
      description: 'Columns to hash for the split instead of the whole row (rows sharing these values land in the same split).',
    }),
  ),
  skip_bad_rows: Type.Boolean({
    default: false,
    description: 'Skip malformed rows (counted and reported) instead of failing on the first one.',
  }),
  delimiter: Type.String({ default: ',', minLength: 1, maxLength: 1, description: 'CSV field delimiter (one ASCII character).' }),
  shard_size_mb: Type.Number({
    default: 16,
    exclusiveMinimum: 0,
    description:
      'Target input bytes per shard: one parse task and one Arrow file per split per shard. Shards of a file are equal in size, and their count is rounded up to a multiple of 4 so that 1, 2 or 4 workers get equal shares. Independent of worker count.',
  }),
});

export const csvExampleGenSpec = {
  type: 'CsvExampleGen',
  version: '1',
  category: 'data',
  icon: 'database',
  description: 'Reads CSV or JSONL files, infers column types and writes a deterministic train/eval split as Arrow shards.',
  inputs: {},
  outputs: csvExampleGenOutputs,
  params: csvExampleGenParams,
} satisfies ComponentSpec;
