import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANOMALIES_FILE, type ExampleAnomaliesFile, type SpanComparison } from '../../formats/anomalies.ts';
import { SCHEMA_FILE } from '../../formats/schema.ts';
import { STATISTICS_FILE, type DatasetFeatureStatistics, type DatasetFeatureStatisticsList } from '../../formats/statistics.ts';
import { previousSpanStatistics, producerOf, spanOfArtifact } from '../../metadata/spans.ts';
import { UserError } from '../../core/errors.ts';
import { type Executor, type ExecutorContext } from '../../core/component.ts';
import { PREVIOUS_STATISTICS } from './resolve.ts';
import { checkSpanEvolution, type SpanLabels } from './span-evolution.ts';
import { parseSchema } from '../schema-gen/parse-schema.ts';
import { readJsonFile } from '../schema-gen/read-json.ts';
import { readStatistics } from '../schema-gen/read-statistics.ts';
import { toAnomalies, type FeatureFinding } from './anomaly-reasons.ts';
import { checkSplit } from './check-schema.ts';
import { checkDrift, type DriftComparison } from './drift.ts';
import type { exampleValidatorSpec } from './spec.ts';
import { countAnomalies, summarize } from './summary.ts';

type Spec = typeof exampleValidatorSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

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

  const previous = !baseline && params.compare_previous_span ? await previousSpan(ctx) : undefined;
  if (previous) {
    const label = previous.labels.previous;
    for (const split of splits) {
      const earlier = previous.stats.datasets.find((d) => d.name === split.name);
      if (earlier) comparisons.push({ baseline: earlier, current: split, baselineLabel: `split "${split.name}" of ${label}` });
    }
  }

  const thresholds = { linf: params.linf_threshold, jsd: params.jsd_threshold };
  const file: ExampleAnomaliesFile = { splits: {} };
  for (const split of splits) {
    const { findings, dataMissing } = checkSplit(split, schema);
    const drift: FeatureFinding[] = comparisons.filter((c) => c.current === split).flatMap((c) => checkDrift(c, schema, thresholds));
    const earlier = previous?.stats.datasets.find((d) => d.name === split.name);
    const evolution = earlier ? checkSpanEvolution(earlier, split, previous!.labels, params.missing_rate_threshold) : [];
    file.splits[split.name] = toAnomalies([...findings, ...drift, ...evolution], dataMissing);
  }
  if (previous) file.spanComparison = previous.comparison;

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
  ctx.outputs.anomalies.properties = {
    ...counts,
    splits: splits.map((s) => s.name),
    ...(previous ? { span: previous.comparison.span, comparedSpan: previous.comparison.previousSpan } : {}),
  };
};

/**
 * The previous span's statistics, if any: the artifact the engine resolved for this execution (and
 * keyed the cache on); a context built by hand without it resolves the same way here.
 */
async function previousSpan(ctx: Ctx): Promise<{ stats: DatasetFeatureStatisticsList; labels: SpanLabels; comparison: SpanComparison } | undefined> {
  if (!ctx.metadata) return undefined;
  const data = await ctx.metadata.read();
  const current = spanOfArtifact(data, ctx.inputs.statistics.id);
  if (!current) return undefined; // the data has no span: nothing to compare over time
  const previousId = ctx.resolved
    ? ctx.resolved[PREVIOUS_STATISTICS]?.id
    : previousSpanStatistics(data, ctx.metadata.pipeline, ctx.inputs.statistics.id)?.previous?.statistics.id;
  const statistics = previousId === undefined ? undefined : data.artifacts.find((a) => a.id === previousId);
  const span = statistics && spanOfArtifact(data, statistics.id);
  if (!statistics || !span) {
    ctx.log.info(`span ${current.span}: no earlier span in the metadata store to compare with`);
    return undefined;
  }
  if (!existsSync(join(statistics.uri, STATISTICS_FILE))) {
    ctx.log.warn(`the statistics of span ${span.span} (#${statistics.id}) are gone from ${statistics.uri}; not compared`);
    return undefined;
  }
  const v = (n?: number) => (n !== undefined ? ` version ${n}` : '');
  const labels = { current: `span ${current.span}${v(current.version)}`, previous: `span ${span.span}${v(span.version)} (statistics #${statistics.id})` };
  ctx.log.info(`comparing ${labels.current} with ${labels.previous}, run ${producerOf(data, statistics.id)?.runId ?? '?'}`);
  return {
    stats: readStatistics(statistics.uri),
    labels,
    comparison: {
      span: current.span,
      ...(current.version !== undefined ? { version: current.version } : {}),
      previousSpan: span.span,
      ...(span.version !== undefined ? { previousVersion: span.version } : {}),
      previousStatisticsId: statistics.id,
    },
  };
}

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
