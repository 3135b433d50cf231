/**
 * Resolvers: queries that pick artifacts from the store beyond a node's wired inputs, as TFX's
 * resolver strategies do. Pure functions over a store snapshot.
 */
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';

export interface BlessedModel {
  model: ArtifactRecord;
  blessing: ArtifactRecord;
  /** The Evaluator execution that produced the blessing (for a cached one: the execution itself). */
  evaluator: ExecutionRecord;
}

/** Artifact ids attributed to the pipeline's context. */
function pipelineArtifactIds(data: Readonly<StoreData>, pipeline: string): Set<number> {
  const ctx = data.contexts.find((c) => c.type === 'pipeline' && c.name === pipeline);
  if (!ctx) return new Set();
  return new Set(data.attributions.filter((a) => a.contextId === ctx.id).map((a) => a.artifactId));
}

/**
 * TFX's LatestBlessedModelResolver: the newest LIVE Model artifact of this pipeline for which an
 * Evaluator execution produced a LIVE ModelBlessing with `blessed: true`. "Newest" is the highest
 * artifact id (ids grow with creation). `exclude` leaves out models (the candidate itself, so a
 * re-evaluated model is never its own baseline).
 */
export function latestBlessedModel(
  data: Readonly<StoreData>,
  pipeline: string,
  options: { exclude?: number[]; evaluatorComponent?: string } = {},
): BlessedModel | undefined {
  const evaluatorComponent = options.evaluatorComponent ?? 'Evaluator';
  const exclude = new Set(options.exclude ?? []);
  const inPipeline = pipelineArtifactIds(data, pipeline);
  const byId = new Map(data.artifacts.map((a) => [a.id, a]));
  const executions = new Map(data.executions.map((e) => [e.id, e]));
  let best: BlessedModel | undefined;
  for (const out of data.events) {
    if (out.type !== 'OUTPUT') continue;
    const blessing = byId.get(out.artifactId);
    if (!blessing || blessing.type !== 'ModelBlessing' || blessing.state !== 'LIVE' || blessing.properties.blessed !== true) continue;
    if (!inPipeline.has(blessing.id)) continue;
    const evaluator = executions.get(out.executionId);
    if (!evaluator || evaluator.component !== evaluatorComponent) continue;
    if (evaluator.state !== 'COMPLETE' && evaluator.state !== 'CACHED') continue;
    const modelEvent = data.events.find((e) => e.executionId === evaluator.id && e.type === 'INPUT' && e.key === 'model');
    const model = modelEvent && byId.get(modelEvent.artifactId);
    if (!model || model.type !== 'Model' || model.state !== 'LIVE' || exclude.has(model.id)) continue;
    if (!best || model.id > best.model.id) best = { model, blessing, evaluator };
  }
  return best;
}
