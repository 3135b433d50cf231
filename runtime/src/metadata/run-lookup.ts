/**
 * Keyed access to one run's records, for the record functions (records.ts): a change to a run of
 * 5,000 nodes must find an execution, a context or an execution's events without scanning the
 * run. A `StoreData` that belongs to one run (the store's own copy, or the view a change gets) has
 * a lookup; a view merged from several runs has none, and the functions scan it as before.
 */
import type { ArtifactRecord, ContextRecord, EventRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';

export interface RunLookup {
  artifact(id: number): ArtifactRecord | undefined;
  execution(id: number): ExecutionRecord | undefined;
  /** The first context of this type and name, in creation order. */
  context(type: string, name: string): ContextRecord | undefined;
  /** The execution's events, in the order they were recorded. */
  events(executionId: number): readonly EventRecord[];
}

const lookups = new WeakMap<StoreData, RunLookup>();

export function registerLookup(data: StoreData, lookup: RunLookup): void {
  lookups.set(data, lookup);
}

export function lookupOf(data: StoreData): RunLookup | undefined {
  return lookups.get(data);
}
