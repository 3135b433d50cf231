import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_FILE, SCHEMA_PBTXT_FILE, type Schema } from '../../formats/schema.ts';
import { schemaToPbtxt } from '../../formats/tfx-proto.ts';
import { UserError } from '../../core/errors.ts';
import { type Executor, type NodeLogger } from '../../core/component.ts';
import { inferSchema } from './infer-schema.ts';
import { parseSchema } from './parse-schema.ts';
import { readSchemaFile } from './read-schema-file.ts';
import { readStatistics } from './read-statistics.ts';
import type { schemaGenSpec } from './spec.ts';

type Spec = typeof schemaGenSpec;

export const execute: Executor<Spec['inputs'], Spec['outputs'], Spec['params']> = async (ctx) => {
  const { params, log } = ctx;
  let schema: Schema;
  if (params.schema_file) {
    const file = ctx.resolvePath(params.schema_file);
    schema = readUserSchema(file, log);
    log.info(`Using the schema in ${params.schema_file} (${schema.feature.length} features) instead of inferring one`);
  } else {
    const stats = readStatistics(ctx.inputs.statistics.uri);
    const available = stats.datasets.map((d) => d.name);
    const excluded = new Set(params.exclude_splits);
    for (const split of excluded)
      if (!available.includes(split)) log.warn(`exclude_splits names "${split}", which is not in the statistics (${available.join(', ')})`);
    const datasets = stats.datasets.filter((d) => !excluded.has(d.name));
    if (!datasets.length)
      throw new UserError(`No statistics left to infer a schema from: splits ${fmtList(available)}, all excluded by exclude_splits`, {
        nodeId: ctx.nodeId,
        field: 'exclude_splits',
      });
    const inferred = inferSchema(datasets, {
      inferFeatureShape: params.infer_feature_shape,
      maxDomainSize: params.max_domain_size,
      inferRanges: params.infer_ranges,
    });
    for (const note of inferred.notes) log.warn(note);
    schema = inferred.schema;
    const domains = schema.stringDomain?.length ?? 0;
    log.info(
      `Inferred a schema of ${schema.feature.length} features (${domains} string domains) from splits ${fmtList(datasets.map((d) => d.name))}`,
    );
  }
  writeFileSync(join(ctx.outputs.schema.uri, SCHEMA_FILE), JSON.stringify(schema, null, 2) + '\n');
  writeFileSync(join(ctx.outputs.schema.uri, SCHEMA_PBTXT_FILE), schemaToPbtxt(schema));
  ctx.outputs.schema.properties = { features: schema.feature.length };
};

function readUserSchema(file: string, log: NodeLogger): Schema {
  const { schema, ignored } = parseSchema(readSchemaFile(file), file);
  if (ignored.length) log.warn(`Schema file ${file}: fields not used by Tributary were dropped: ${ignored.slice(0, 10).join(', ')}${ignored.length > 10 ? ', ...' : ''}`);
  return schema;
}

function fmtList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
