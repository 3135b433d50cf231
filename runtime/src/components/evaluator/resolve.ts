/**
 * Evaluator's store-resolved input: the baseline model when none is wired (TFX's
 * LatestBlessedModelResolver). Declared on the component so the engine keys the cache on it and
 * records it in the lineage: a newer blessed model makes a cached Evaluator compare again.
 */
import { latestBlessedModel } from '../../metadata/resolvers.ts';
import type { ArtifactRecord } from '../../core/metadata-types.ts';
import type { ResolveQuery } from '../../core/component.ts';
import type { evaluatorParams } from './spec.ts';

/** The resolved input's name (not `baseline_model`: resolved names must not clash with wired ones). */
export const LATEST_BLESSED_MODEL = 'latest_blessed_model';

/**
 * `latest_blessed_model`: the newest blessed Model of this pipeline other than the candidate, when
 * no baseline_model is wired; otherwise undefined.
 */
export function resolveLatestBlessedModel(query: ResolveQuery<typeof evaluatorParams>): Record<string, ArtifactRecord | undefined> {
  const { data, pipeline, inputs } = query;
  const candidate = inputs.model;
  const wanted = !inputs.baseline_model && candidate;
  const found = wanted ? latestBlessedModel(data, pipeline, { exclude: [candidate.id] }) : undefined;
  return { [LATEST_BLESSED_MODEL]: found?.model };
}
