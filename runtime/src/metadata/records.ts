/** Pure operations on the store's data, applied inside `MetadataStore.transaction`. */
import type { ArtifactType } from '../core/artifacts.ts';
import type {
  ArtifactRecord,
  ContextRecord,
  ContextType,
  EventRecord,
  ExecutionRecord,
  ExecutionState,
  StoreData,
} from '../core/metadata-types.ts';
import { lookupOf } from './run-lookup.ts';

export function getOrCreateContext(
  data: StoreData,
  type: ContextType,
  name: string,
  properties: Record<string, unknown> = {},
): ContextRecord {
  const lookup = lookupOf(data);
  let ctx = lookup ? lookup.context(type, name) : data.contexts.find((c) => c.type === type && c.name === name);
  if (!ctx) {
    ctx = { id: data.nextId.context++, type, name, properties };
    data.contexts.push(ctx);
  } else {
    Object.assign(ctx.properties, properties);
  }
  return ctx;
}

export function associate(data: StoreData, executionId: number, contexts: ContextRecord[]): void {
  for (const c of contexts) data.associations.push({ executionId, contextId: c.id });
}

export function attribute(data: StoreData, artifactId: number, contexts: ContextRecord[]): void {
  for (const c of contexts) data.attributions.push({ artifactId, contextId: c.id });
}

export function createArtifact(
  data: StoreData,
  type: ArtifactType,
  uriFor: (id: number) => string,
  fingerprint: string,
): ArtifactRecord {
  const id = data.nextId.artifact++;
  const t = now();
  const artifact: ArtifactRecord = {
    id,
    type,
    uri: uriFor(id),
    state: 'PENDING',
    fingerprint,
    properties: {},
    createdAt: t,
    updatedAt: t,
  };
  data.artifacts.push(artifact);
  return artifact;
}

export function createExecution(
  data: StoreData,
  fields: Omit<ExecutionRecord, 'id' | 'startedAt' | 'properties' | 'logFile'> & { logFileFor: (id: number) => string },
): ExecutionRecord {
  const id = data.nextId.execution++;
  const { logFileFor, ...rest } = fields;
  const execution: ExecutionRecord = { ...rest, id, startedAt: now(), properties: {}, logFile: logFileFor(id) };
  data.executions.push(execution);
  return execution;
}

/** An execution by id, or undefined: keyed in a run's own records, a scan in a merged view. */
export function executionById(data: StoreData, id: number): ExecutionRecord | undefined {
  const lookup = lookupOf(data);
  return lookup ? lookup.execution(id) : data.executions.find((x) => x.id === id);
}

export function findExecution(data: StoreData, id: number): ExecutionRecord {
  const e = executionById(data, id);
  if (!e) throw new Error(`Execution ${id} is not in the metadata store`);
  return e;
}

export function findArtifact(data: StoreData, id: number): ArtifactRecord | undefined {
  const lookup = lookupOf(data);
  return lookup ? lookup.artifact(id) : data.artifacts.find((a) => a.id === id);
}

export function addEvent(data: StoreData, executionId: number, artifactId: number, type: 'INPUT' | 'OUTPUT', key: string): void {
  data.events.push({ executionId, artifactId, type, key, time: now() });
}

export function finishExecution(
  data: StoreData,
  id: number,
  state: Exclude<ExecutionState, 'NEW' | 'RUNNING' | 'WAITING'>,
  details: { error?: string; properties?: Record<string, unknown> } = {},
): ExecutionRecord {
  const e = findExecution(data, id);
  e.state = state;
  e.finishedAt = now();
  if (details.error) e.error = details.error;
  if (details.properties) Object.assign(e.properties, details.properties);
  return e;
}

/** An execution's events: keyed in a run's own records, a scan in a merged view. */
export function eventsOf(data: StoreData, executionId: number): readonly EventRecord[] {
  const lookup = lookupOf(data);
  return lookup ? lookup.events(executionId) : data.events.filter((ev) => ev.executionId === executionId);
}

function artifactsOf(data: StoreData, executionId: number, type: 'INPUT' | 'OUTPUT'): Record<string, ArtifactRecord> {
  const out: Record<string, ArtifactRecord> = {};
  for (const ev of eventsOf(data, executionId)) {
    if (ev.type !== type) continue;
    const a = findArtifact(data, ev.artifactId);
    if (a) out[ev.key] = a;
  }
  return out;
}

/** Output artifacts of an execution, keyed by output name. */
export function outputsOf(data: StoreData, executionId: number): Record<string, ArtifactRecord> {
  return artifactsOf(data, executionId, 'OUTPUT');
}

export function inputsOf(data: StoreData, executionId: number): Record<string, ArtifactRecord> {
  return artifactsOf(data, executionId, 'INPUT');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}

/**
 * Executions left RUNNING by a process that no longer exists (killed, crashed) are marked FAILED
 * and their PENDING outputs ABANDONED, so nothing half-written ever looks done. WAITING executions
 * are left alone whoever owned them: they wait for a person, not for their process, and
 * `tributary resume` picks them up (their PENDING outputs stay reserved for that).
 */
export function recoverAbandoned(data: StoreData, alive: (pid: number) => boolean = isAlive): number {
  let recovered = 0;
  for (const e of data.executions) {
    if (e.state !== 'RUNNING' || alive(e.pid)) continue; // WAITING included in what is skipped
    finishExecution(data, e.id, 'FAILED', { error: `abandoned: process ${e.pid} exited without recording a result` });
    for (const a of Object.values(outputsOf(data, e.id))) if (a.state === 'PENDING') a.state = 'ABANDONED';
    recovered++;
  }
  return recovered;
}

/**
 * The repair a run left open needs, or undefined: executions of processes that died become FAILED
 * (outputs ABANDONED), and a run whose own process (on this host) died becomes FAILED, or WAITING
 * when approvals are pending so that `tributary resume` still works. Every backend's `recover`.
 */
export function recoveryFor(run: StoreData, alive: (pid: number) => boolean, host: string): ((data: StoreData) => number) | undefined {
  const ctx = run.contexts.find((c) => c.type === 'pipeline_run');
  const owner = ctx?.properties as { pid?: number; host?: string; state?: string } | undefined;
  const ownerDead = owner?.state === 'RUNNING' && typeof owner.pid === 'number' && owner.host === host && !alive(owner.pid);
  const deadExecution = run.executions.some((e) => e.state === 'RUNNING' && !alive(e.pid));
  if (!ownerDead && !deadExecution) return undefined;
  return (data) => {
    const n = recoverAbandoned(data, alive);
    const c = data.contexts.find((x) => x.type === 'pipeline_run');
    if (ownerDead && c && c.properties.state === 'RUNNING') {
      c.properties.state = data.executions.some((e) => e.state === 'WAITING') ? 'WAITING' : 'FAILED';
      c.properties.finishedAt = now();
      c.properties.error = `abandoned: process ${owner!.pid} on ${owner!.host} exited without recording the run's end (killed, crashed or out of disk)`;
      c.properties.nodeStates = Object.fromEntries(data.executions.map((e) => [e.nodeId, e.state]));
    }
    return n;
  };
}

export function now(): string {
  return new Date().toISOString();
}
