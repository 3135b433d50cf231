/**
 * The trends view's data: `tributary trends FILE --json` (runtime/src/metadata/trends.ts) narrowed
 * to one feature, one series per split, spans in order, with each span's anomalies on that feature.
 * Pure and `vscode`-free (unit tested in plain Node); parseTrendsReport also runs in the main bundle.
 */
import type { SpanTrend, TrendsReport } from '../../../runtime/src/host-api.ts';
import type { FeatureTrends, TrendPoint } from '../../../protocol/viewer-payload.ts';

/** Bad report or feature; its own class (not load.ts's ViewerError) so the main bundle need not load the viewers' code. */
export class TrendsDataError extends Error {}

const TOP_VALUES_SHOWN = 3;

const spanLabel = (s: SpanTrend) => `${s.span}${s.version !== undefined ? ` v${s.version}` : ''}`;

/** Parses the CLI's JSON output, with a clear error when it is not a trends report. */
export function parseTrendsReport(stdout: string): TrendsReport {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (error) {
    throw new TrendsDataError(`tributary trends did not print JSON: ${(error as Error).message}`);
  }
  const r = value as Partial<TrendsReport> | null;
  if (!r || typeof r !== 'object' || !Array.isArray(r.spans) || !Array.isArray(r.allFeatures)) throw new TrendsDataError('tributary trends printed JSON without "spans" and "allFeatures"');
  return r as TrendsReport;
}

export function featureTrends(report: TrendsReport, feature: string): FeatureTrends {
  if (!report.allFeatures.includes(feature)) throw new TrendsDataError(`No feature "${feature}" in the statistics of pipeline "${report.pipeline}" (features: ${report.allFeatures.join(', ') || 'none'})`);
  const spans = [...report.spans].sort((a, b) => a.span - b.span || (a.version ?? 0) - (b.version ?? 0));
  const splits = [...new Set(spans.flatMap((s) => [...Object.keys(s.numExamples), ...Object.keys(s.features[feature] ?? {})]))].sort((a, b) =>
    // train first (what the CLI prints by default), then alphabetical.
    a === 'train' ? -1 : b === 'train' ? 1 : a.localeCompare(b),
  );
  const type = spans.map((s) => Object.values(s.features[feature] ?? {})[0]?.type).find((t) => t !== undefined);
  const series: Record<string, TrendPoint[]> = {};
  for (const split of splits) {
    series[split] = spans.map((s): TrendPoint => {
      const p = s.features[feature]?.[split];
      const anomalies = s.anomalies.filter((a) => a.feature === feature && a.split === split).map((a) => ({ severity: a.severity, description: a.shortDescription || a.description }));
      const head = { span: s.span, label: spanLabel(s), runId: s.runId, anomalies };
      if (!p) return { ...head, present: false };
      return {
        ...head,
        present: true,
        count: p.count,
        missingPct: p.missingPct,
        mean: p.mean,
        std: p.std,
        min: p.min,
        median: p.median,
        max: p.max,
        unique: p.unique,
        topValues: p.topValues?.slice(0, TOP_VALUES_SHOWN).map((t) => `${t.value} (${t.frequency})`).join(', '),
      };
    });
  }
  return { pipeline: report.pipeline, nodeId: report.nodeId, feature, type, numeric: type !== 'STRING' && type !== 'BYTES', splits, series };
}
