/** ParquetExampleGen's declaration: ports and parameters (read without loading the executor). */
import { Type } from '@sinclair/typebox';
import { ARTIFACT_DESCRIPTIONS } from '../../core/artifacts.ts';
import type { ComponentSpec } from '../../core/component.ts';
import { inputParam, spanRangeParam, splitKeyParam, splitsParam } from '../example-gen-common/params.ts';

export const parquetExampleGenParams = Type.Object({
  input: inputParam('A Parquet file', 'data/*.parquet'),
  span_range: spanRangeParam,
  splits: splitsParam("each row's values"),
  split_key: splitKeyParam,
  shard_size_mb: Type.Number({
    default: 4,
    exclusiveMinimum: 0,
    description:
      'Target compressed input MB per shard: consecutive row groups of a file up to this size make one read task and one Arrow file per split, and a larger row group is cut into row ranges of about this size (at least 16,384 rows each). Independent of worker count.',
  }),
});

export const parquetExampleGenSpec = {
  type: 'ParquetExampleGen',
  version: '1',
  category: 'data',
  icon: 'table',
  description:
    'Reads Parquet files (snappy, gzip, zstd, brotli, lz4) row group by row group, maps their column types to INT, FLOAT and STRING (LIST columns to list columns) and writes a deterministic train/eval split as Arrow shards.',
  inputs: {},
  outputs: {
    examples: { type: 'Examples' as const, description: ARTIFACT_DESCRIPTIONS.Examples },
  },
  params: parquetExampleGenParams,
} satisfies ComponentSpec;
