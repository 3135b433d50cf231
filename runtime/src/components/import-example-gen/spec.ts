/** ImportExampleGen's declaration (TFX's name): TFRecord files of tf.Example. */
import { Type } from '@sinclair/typebox';
import { ARTIFACT_DESCRIPTIONS } from '../../core/artifacts.ts';
import type { ComponentSpec } from '../../core/component.ts';
import { inputParam, skipBadRowsParam, spanRangeParam, splitKeyParam, splitsParam } from '../example-gen-common/params.ts';

export const importExampleGenParams = Type.Object({
  input: inputParam('A TFRecord file of tf.Example records', 'data/*.tfrecord.gz'),
  span_range: spanRangeParam,
  compression: Type.Union([Type.Literal('auto'), Type.Literal('none'), Type.Literal('gzip')], {
    default: 'auto',
    description: 'GZIP-compressed TFRecord files (TFX writes .gz); auto recognizes GZIP by its first bytes.',
  }),
  splits: splitsParam("each example's feature values"),
  split_key: splitKeyParam,
  skip_bad_rows: skipBadRowsParam('records with a bad data checksum or that are not tf.Examples, and a truncated last record'),
  shard_size_mb: Type.Number({
    default: 16,
    exclusiveMinimum: 0,
    description:
      'Target input MB per read task: an uncompressed file larger than this is cut at record boundaries (found by reading only the record headers) into tasks of about this size, each one Arrow file per split; a GZIP file is one task. Independent of worker count.',
  }),
});

export const importExampleGenSpec = {
  type: 'ImportExampleGen',
  version: '1',
  category: 'data',
  icon: 'file-binary',
  description:
    'Reads TFRecord files of tf.Example (optionally GZIP), checking every record\'s CRC32C; int64, float and bytes lists become INT, FLOAT and STRING columns, variable-length features list columns.',
  inputs: {},
  outputs: {
    examples: { type: 'Examples' as const, description: ARTIFACT_DESCRIPTIONS.Examples },
  },
  params: importExampleGenParams,
} satisfies ComponentSpec;
