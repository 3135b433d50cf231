/** Read-only views of the store for the CLI and, later, the editor's panels. */
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';
import { findArtifact, inputsOf } from './records.ts';

export { listRuns } from './run-rows.ts';

export interface LineageStep {
  artifact: ArtifactRecord;
  /** The execution that produced it (for a CACHED one: the execution it reused, via `cachedFrom`). */
  producer?: ExecutionRecord;
  inputs: { key: string; step: LineageStep }[];
}

/** The chain of executions and artifacts behind an artifact, back to the external data. */
export function lineage(data: StoreData, artifactId: number, seen = new Set<number>()): LineageStep | undefined {
  const artifact = findArtifact(data, artifactId);
  if (!artifact) return undefined;
  const producerEvent = data.events.find((e) => e.artifactId === artifactId && e.type === 'OUTPUT');
  const producer = producerEvent ? data.executions.find((e) => e.id === producerEvent.executionId) : undefined;
  const step: LineageStep = { artifact, producer, inputs: [] };
  if (!producer || seen.has(artifactId)) return step;
  seen.add(artifactId);
  for (const [key, input] of Object.entries(inputsOf(data, producer.id))) {
    const sub = lineage(data, input.id, seen);
    if (sub) step.inputs.push({ key, step: sub });
  }
  return step;
}
