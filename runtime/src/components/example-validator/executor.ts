import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANOMALIES_FILE, type ExampleAnomaliesFile } from '../../formats/anomalies.ts';
import { SCHEMA_FILE } from '../../formats/schema.ts';
import type { DatasetFeatureStatistics } from '../../formats/statistics.ts';
import { UserError, type Executor } from '../../registry/types.ts';
import { parseSchema } from '../schema-gen/parse-schema.ts';
import { readJsonFile } from '../schema-gen/read-json.ts';
import { readStatistics } from '../schema-gen/read-statistics.ts';
import { toAnomalies, type FeatureFinding } from './anomaly-reasons.ts';
import { checkSplit } from './check-schema.ts';
import { checkDrift, type DriftComparison } from './drift.ts';
import type { exampleValidatorSpec } from './spec.ts';
import { countAnomalies, summarize } from './summary.ts';

type Spec = typeof exampleValidatorSpec;

export const execute: Executor<Spec['inputs'], Spec['outputs'], Spec['params']> = async (ctx) => {
  const { params, log } = ctx;
  const stats = readStatistics(ctx.inputs.statistics.uri);
  const schemaFile = join(ctx.inputs.schema.uri, SCHEMA_FILE);
  const { schema } = parseSchema(readJsonFile(schemaFile, 'schema file'), schemaFile);
  const baseline = ctx.inputs.baseline_statistics ? readStatistics(ctx.inputs.baseline_statistics.uri) : undefined;

  const excluded = new Set(params.exclude_splits);
  const splits = stats.datasets.filter((d) => !excluded.has(d.name));
  if (!splits.length)
    throw new UserError(`No splits left to check: ${names(stats.datasets)} all excluded by exclude_splits`, { nodeId: ctx.nodeId, field: 'exclude_splits' });

  const comparisons = driftComparisons(stats.datasets, splits, params.drift, ctx.nodeId);
  if (baseline) {
    for (const split of splits) {
      const earlier = baseline.datasets.find((d) => d.name === split.name);
      if (earlier) comparisons.push({ baseline: earlier, current: split, baselineLabel: `split "${split.name}" of baseline_statistics` });
      else log.warn(`baseline_statistics have no split "${split.name}" (only ${names(baseline.datasets)}); it is not compared`);
    }
  }

  const thresholds = { linf: params.linf_threshold, jsd: params.jsd_threshold };
  const file: ExampleAnomaliesFile = { splits: {} };
  for (const split of splits) {
    const { findings, dataMissing } = checkSplit(split, schema);
    const drift: FeatureFinding[] = comparisons.filter((c) => c.current === split).flatMap((c) => checkDrift(c, schema, thresholds));
    file.splits[split.name] = toAnomalies([...findings, ...drift], dataMissing);
  }

  const counts = countAnomalies(file);
  const headline = `${counts.anomalyCount} anomalies (${counts.errorCount} errors, ${counts.warningCount} warnings) in ${splits.length} splits, ${comparisons.length} drift comparisons`;
  if (counts.anomalyCount) log.warn(headline);
  else log.info(headline);
  for (const line of summarize(file)) log.info(line);
  if (params.fail_on_error && counts.errorCount > 0) {
    // Nothing is written: the node fails and no ExampleAnomalies artifact is recorded.
    const details = summarize(file, { onlyErrors: true, maxPerSplit: 20 });
    throw new UserError(`Example validation found ${counts.errorCount} ERROR anomalies:\n${details.join('\n')}`, { nodeId: ctx.nodeId });
  }

  writeFileSync(join(ctx.outputs.anomalies.uri, ANOMALIES_FILE), JSON.stringify(file, null, 2) + '\n');
  ctx.outputs.anomalies.properties = { ...counts, splits: splits.map((s) => s.name) };
};

/** The configured split pairs, checked against the statistics; default eval against train. */
function driftComparisons(
  all: DatasetFeatureStatistics[],
  checked: DatasetFeatureStatistics[],
  pairs: { baseline: string; current: string }[] | undefined,
  nodeId: string,
): DriftComparison[] {
  const find = (name: string) => all.find((d) => d.name === name);
  if (pairs === undefined) {
    const train = find('train');
    const evalSplit = checked.find((d) => d.name === 'eval');
    return train && evalSplit ? [{ baseline: train, current: evalSplit, baselineLabel: 'split "train"' }] : [];
  }
  const out: DriftComparison[] = [];
  pairs.forEach((pair, i) => {
    for (const name of [pair.baseline, pair.current])
      if (!find(name))
        throw new UserError(`drift[${i}] names split "${name}", which is not in the statistics (${names(all)})`, { nodeId, field: `drift[${i}]` });
    const current = checked.find((d) => d.name === pair.current);
    // An excluded current split has no anomalies to attach drift to.
    if (current) out.push({ baseline: find(pair.baseline)!, current, baselineLabel: `split "${pair.baseline}"` });
  });
  return out;
}

function names(datasets: DatasetFeatureStatistics[]): string {
  return datasets.map((d) => `"${d.name}"`).join(', ') || 'none';
}
