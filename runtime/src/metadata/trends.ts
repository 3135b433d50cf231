/**
 * Data over time: per span, a feature's key statistics and the anomalies found, from the metadata
 * store. One row per span (the newest statistics of that span); what `tributary trends` prints and
 * the editor charts. Pure: files are read through the loaders passed in.
 */
import type { ExampleAnomaliesFile } from '../formats/anomalies.ts';
import { type DatasetFeatureStatisticsList, type FeatureNameStatistics, featureSummary, type FeatureSummary } from '../formats/statistics.ts';
import { producerOf, statisticsBySpan, type SpanStatistics } from './spans.ts';
import type { ArtifactRecord, StoreData } from '../core/metadata-types.ts';

export interface TrendLoaders {
  /** The FeatureStats.json of an ExampleStatistics artifact, or undefined when it is gone. */
  statistics(uri: string): DatasetFeatureStatisticsList | undefined;
  anomalies(uri: string): ExampleAnomaliesFile | undefined;
}

/** One feature in one split of one span (see featurePoint). */
export type FeaturePoint = Omit<FeatureSummary, 'histogram' | 'zeros'> & { type: string };

export interface TrendAnomaly {
  split: string;
  feature: string;
  severity: string;
  /** Reason types, e.g. COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH. */
  types: string[];
  shortDescription: string;
  description: string;
}

export interface SpanTrend {
  span: number;
  version?: number;
  /** The latest run that produced or reused these statistics. */
  runId: string;
  statisticsId: number;
  anomaliesId?: number;
  /** The span the validator compared this one with. */
  comparedSpan?: number;
  numExamples: Record<string, number>;
  /** feature → split → point (only the requested feature when one is named). */
  features: Record<string, Record<string, FeaturePoint>>;
  anomalies: TrendAnomaly[];
}

export interface TrendsReport {
  pipeline: string;
  /** The StatisticsGen node the statistics come from. */
  nodeId?: string;
  feature?: string;
  /** Every feature seen in any span (for pickers). */
  allFeatures: string[];
  spans: SpanTrend[];
}

const TOP_VALUES = 5;

/** A feature's summary as a trend point: the split summary without histogram and zeros, top values cut to TOP_VALUES. */
export function featurePoint(f: FeatureNameStatistics, numExamples: number): FeaturePoint {
  const { histogram: _histogram, zeros: _zeros, valueCounts: _valueCounts, topValues, ...summary } = featureSummary(f, numExamples);
  return { type: f.type, ...summary, ...(topValues ? { topValues: topValues.slice(0, TOP_VALUES) } : {}) };
}

/** The newest execution (a run or a later cache hit) that output an artifact: "the latest run". */
function latestRunOf(data: Readonly<StoreData>, artifactId: number): string | undefined {
  let best: { id: number; runId: string } | undefined;
  for (const e of data.events) {
    if (e.artifactId !== artifactId || e.type !== 'OUTPUT') continue;
    const x = data.executions.find((ex) => ex.id === e.executionId);
    if (x && (x.state === 'COMPLETE' || x.state === 'CACHED') && (!best || x.id > best.id)) best = { id: x.id, runId: x.runId };
  }
  return best?.runId;
}

/** The newest LIVE ExampleAnomalies computed from these statistics. */
function anomaliesOf(data: Readonly<StoreData>, statisticsId: number): ArtifactRecord | undefined {
  let best: ArtifactRecord | undefined;
  for (const input of data.events) {
    if (input.type !== 'INPUT' || input.key !== 'statistics' || input.artifactId !== statisticsId) continue;
    for (const out of data.events) {
      if (out.executionId !== input.executionId || out.type !== 'OUTPUT') continue;
      const a = data.artifacts.find((x) => x.id === out.artifactId);
      if (a && a.type === 'ExampleAnomalies' && a.state === 'LIVE' && (!best || a.id > best.id)) best = a;
    }
  }
  return best;
}

export function spanTrends(
  data: Readonly<StoreData>,
  pipeline: string,
  load: TrendLoaders,
  options: { feature?: string; nodeId?: string } = {},
): TrendsReport {
  let all = statisticsBySpan(data, pipeline, options.nodeId);
  // Several StatisticsGen nodes (raw and transformed data) would mix: default to the newest one's.
  const nodeId = options.nodeId ?? all.reduce<SpanStatistics | undefined>((a, s) => (!a || s.statistics.id > a.statistics.id ? s : a), undefined)?.producer.nodeId;
  if (nodeId) all = all.filter((s) => s.producer.nodeId === nodeId);
  const newestPerSpan = new Map<number, SpanStatistics>();
  for (const s of all) newestPerSpan.set(s.span, s); // ascending ids: the last one is the newest

  const allFeatures = new Set<string>();
  const spans: SpanTrend[] = [];
  for (const s of newestPerSpan.values()) {
    const stats = load.statistics(s.statistics.uri);
    if (!stats) continue;
    const row: SpanTrend = {
      span: s.span,
      ...(s.version !== undefined ? { version: s.version } : {}),
      runId: latestRunOf(data, s.statistics.id) ?? producerOf(data, s.statistics.id)?.runId ?? '',
      statisticsId: s.statistics.id,
      numExamples: Object.fromEntries(stats.datasets.map((d) => [d.name, d.numExamples])),
      features: {},
      anomalies: [],
    };
    for (const d of stats.datasets) {
      for (const f of d.features) {
        allFeatures.add(f.name);
        if (options.feature !== undefined && f.name !== options.feature) continue;
        (row.features[f.name] ??= {})[d.name] = featurePoint(f, d.numExamples);
      }
    }
    const anomaliesArtifact = anomaliesOf(data, s.statistics.id);
    const file = anomaliesArtifact && load.anomalies(anomaliesArtifact.uri);
    if (anomaliesArtifact && file) {
      row.anomaliesId = anomaliesArtifact.id;
      if (file.spanComparison) row.comparedSpan = file.spanComparison.previousSpan;
      for (const [split, anomalies] of Object.entries(file.splits)) {
        const infos = [
          ...(anomalies.datasetAnomalyInfo ? [['', anomalies.datasetAnomalyInfo] as const] : []),
          ...Object.entries(anomalies.anomalyInfo),
        ];
        for (const [feature, info] of infos) {
          if (options.feature !== undefined && feature !== options.feature) continue;
          row.anomalies.push({
            split,
            feature,
            severity: info.severity,
            types: info.reason.map((r) => r.type),
            shortDescription: info.shortDescription,
            description: info.description,
          });
        }
      }
    }
    spans.push(row);
  }
  return {
    pipeline,
    ...(nodeId ? { nodeId } : {}),
    ...(options.feature !== undefined ? { feature: options.feature } : {}),
    allFeatures: [...allFeatures].sort(),
    spans,
  };
}
