import { Type } from '@sinclair/typebox';
import { ARTIFACT_DESCRIPTIONS } from '../../core/artifacts.ts';
import type { ComponentSpec } from '../../core/component.ts';
import { inputParam, skipBadRowsParam, spanRangeParam, splitKeyParam, splitsParam } from '../example-gen-common/params.ts';

export const csvExampleGenOutputs = {
  examples: { type: 'Examples' as const, description: ARTIFACT_DESCRIPTIONS.Examples },
};

export const csvExampleGenParams = Type.Object({
  input: inputParam('A CSV or JSONL file', 'data/*.csv'),
  span_range: spanRangeParam,
  format: Type.Union([Type.Literal('auto'), Type.Literal('csv'), Type.Literal('jsonl')], {
    default: 'auto',
    description: 'Input format; auto decides by extension (.csv/.tsv → csv, .jsonl/.ndjson/.json → newline-delimited JSON).',
  }),
  splits: splitsParam('their bytes'),
  split_key: splitKeyParam,
  skip_bad_rows: skipBadRowsParam('malformed rows'),
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
