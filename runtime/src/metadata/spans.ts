/**
 * Span lineage: which span of the data an artifact describes, and the previous span's statistics
 * (TFX's span-based resolvers). Pure functions over a store snapshot.
 */
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';

export interface SpanOf {
  span: number;
  version?: number;
}

export interface SpanStatistics extends SpanOf {
  statistics: ArtifactRecord;
  /** The execution that computed them (the original one, not a cache hit that reused them). */
  producer: ExecutionRecord;
}

const byId = <T extends { id: number }>(items: T[]) => new Map(items.map((x) => [x.id, x]));

/** The execution that first wrote an artifact (cache hits add OUTPUT events later). */
export function producerOf(data: Readonly<StoreData>, artifactId: number): ExecutionRecord | undefined {
  const event = data.events.find((e) => e.artifactId === artifactId && e.type === 'OUTPUT');
  return event && data.executions.find((x) => x.id === event.executionId);
}

function spanProps(a: ArtifactRecord | undefined): SpanOf | undefined {
  const p = a?.properties as { span?: unknown; version?: unknown } | undefined;
  if (typeof p?.span !== 'number') return undefined;
  return { span: p.span, ...(typeof p.version === 'number' ? { version: p.version } : {}) };
}

/**
 * The span an artifact describes: its own `span` property (Examples, and statistics StatisticsGen
 * wrote), else that of the Examples its producer read, followed up the lineage.
 */
export function spanOfArtifact(data: Readonly<StoreData>, artifactId: number, depth = 0): SpanOf | undefined {
  const artifact = data.artifacts.find((a) => a.id === artifactId);
  const own = spanProps(artifact);
  if (own || !artifact || depth > 20) return own;
  const producer = producerOf(data, artifactId);
  if (!producer) return undefined;
  const input =
    data.events.find((e) => e.executionId === producer.id && e.type === 'INPUT' && e.key === 'examples') ??
    data.events.find((e) => e.executionId === producer.id && e.type === 'INPUT' && e.key === 'statistics');
  return input ? spanOfArtifact(data, input.artifactId, depth + 1) : undefined;
}

/** Artifact ids attributed to the pipeline's context. */
export function pipelineArtifactIds(data: Readonly<StoreData>, pipeline: string): Set<number> {
  const ctx = data.contexts.find((c) => c.type === 'pipeline' && c.name === pipeline);
  if (!ctx) return new Set();
  return new Set(data.attributions.filter((a) => a.contextId === ctx.id).map((a) => a.artifactId));
}

/**
 * Every LIVE ExampleStatistics of the pipeline with a known span, optionally only those computed
 * by one node; ascending by span, then by artifact id (newest last).
 */
export function statisticsBySpan(data: Readonly<StoreData>, pipeline: string, nodeId?: string): SpanStatistics[] {
  const inPipeline = pipelineArtifactIds(data, pipeline);
  const executions = byId(data.executions);
  const out: SpanStatistics[] = [];
  for (const a of data.artifacts) {
    if (a.type !== 'ExampleStatistics' || a.state !== 'LIVE' || !inPipeline.has(a.id)) continue;
    const event = data.events.find((e) => e.artifactId === a.id && e.type === 'OUTPUT');
    const producer = event && executions.get(event.executionId);
    if (!producer || (nodeId && producer.nodeId !== nodeId)) continue;
    const span = spanOfArtifact(data, a.id);
    if (span) out.push({ statistics: a, producer, ...span });
  }
  return out.sort((x, y) => x.span - y.span || x.statistics.id - y.statistics.id);
}

/**
 * The statistics to compare a span with: of the same pipeline and StatisticsGen node, the newest
 * statistics of the highest span below the current one. Undefined when the current statistics
 * have no span or no earlier span was processed.
 */
export function previousSpanStatistics(
  data: Readonly<StoreData>,
  pipeline: string,
  currentStatisticsId: number,
): { current: SpanOf; previous?: SpanStatistics } | undefined {
  const current = spanOfArtifact(data, currentStatisticsId);
  if (!current) return undefined;
  const nodeId = producerOf(data, currentStatisticsId)?.nodeId;
  const earlier = statisticsBySpan(data, pipeline, nodeId).filter((s) => s.span < current.span && s.statistics.id !== currentStatisticsId);
  return { current, previous: earlier[earlier.length - 1] };
}
