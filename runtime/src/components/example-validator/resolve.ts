/**
 * ExampleValidator's store-resolved input: the previous span's statistics (TFX: a span-based
 * resolver). Declared on the component so the engine keys the cache on it and records it in the
 * lineage; the executor compares with exactly this artifact.
 */
import { previousSpanStatistics } from '../../metadata/spans.ts';
import type { ArtifactRecord } from '../../core/metadata-types.ts';
import type { ResolveQuery } from '../../core/component.ts';
import type { exampleValidatorSpec } from './spec.ts';

type Params = (typeof exampleValidatorSpec)['params'];

export const PREVIOUS_STATISTICS = 'previous_statistics';

/**
 * `previous_statistics`: the newest statistics of the highest earlier span from the same
 * StatisticsGen node, when compare_previous_span is on, no baseline_statistics are wired and the
 * data has a span; otherwise undefined.
 */
export function resolvePreviousStatistics(query: ResolveQuery<Params>): Record<string, ArtifactRecord | undefined> {
  const { data, pipeline, params, inputs } = query;
  const current = inputs.statistics;
  const wanted = params.compare_previous_span && !inputs.baseline_statistics && current;
  const previous = wanted ? previousSpanStatistics(data, pipeline, current.id)?.previous?.statistics : undefined;
  return { [PREVIOUS_STATISTICS]: previous };
}
