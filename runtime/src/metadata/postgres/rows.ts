/** Records ↔ rows of the Postgres store (see schema.ts): the one place that knows both shapes. */
import type { ArtifactRecord, ContextRecord, EventRecord, ExecutionRecord } from '../../core/metadata-types.ts';
import type { Association, Attribution } from '../embedded/journal.ts';

/** A table's columns in insert order, and how a record fills them (type ids resolved by the caller). */
export interface TableShape<R> {
  table: string;
  columns: string[];
  values(record: R, runSeq: number, typeId: number): unknown[];
}

/** Every table also takes the run version that writes the row (schema migration 2). */
export const VERSION_COLUMN = 'version';

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

export const ARTIFACTS: TableShape<ArtifactRecord> = {
  table: 'artifacts',
  columns: ['id', 'run_seq', 'type_id', 'uri', 'state', 'fingerprint', 'manifest', 'properties', 'created_at', 'updated_at'],
  values: (a, runSeq, typeId) => [a.id, runSeq, typeId, a.uri, a.state, a.fingerprint, json(a.manifest), json(a.properties), a.createdAt, a.updatedAt],
};

export const EXECUTIONS: TableShape<ExecutionRecord> = {
  table: 'executions',
  columns: [
    'id', 'run_seq', 'type_id', 'component_version', 'node_id', 'run_id', 'state', 'params', 'cache_key', 'cached_from',
    'started_at', 'finished_at', 'error', 'pid', 'host', 'log_file', 'properties',
  ],
  values: (e, runSeq, typeId) => [
    e.id, runSeq, typeId, e.componentVersion, e.nodeId, e.runId, e.state, json(e.params), e.cacheKey, e.cachedFrom ?? null,
    e.startedAt, e.finishedAt ?? null, e.error ?? null, e.pid, e.host ?? null, e.logFile, json(e.properties),
  ],
};

export const CONTEXTS: TableShape<ContextRecord> = {
  table: 'contexts',
  columns: ['id', 'run_seq', 'type_id', 'name', 'properties'],
  values: (c, runSeq, typeId) => [c.id, runSeq, typeId, c.name, json(c.properties)],
};

export const EVENTS: TableShape<EventRecord> = {
  table: 'events',
  columns: ['run_seq', 'execution_id', 'artifact_id', 'type', 'key', 'time'],
  values: (e, runSeq) => [runSeq, e.executionId, e.artifactId, e.type, e.key, e.time],
};

export const ASSOCIATIONS: TableShape<Association> = {
  table: 'associations',
  columns: ['run_seq', 'execution_id', 'context_id'],
  values: (s, runSeq) => [runSeq, s.executionId, s.contextId],
};

export const ATTRIBUTIONS: TableShape<Attribution> = {
  table: 'attributions',
  columns: ['run_seq', 'artifact_id', 'context_id'],
  values: (t, runSeq) => [runSeq, t.artifactId, t.contextId],
};

/** Optional fields are left out when null, as the embedded store leaves them out. */
function set<T extends object, K extends keyof T>(record: T, key: K, value: T[K] | null): void {
  if (value !== null && value !== undefined) record[key] = value;
}

// Row readers: `type` is the joined type name; bigint columns arrive as numbers (see store.ts).
export function artifactOf(r: any): ArtifactRecord {
  const a: ArtifactRecord = {
    id: r.id, type: r.type, uri: r.uri, state: r.state, fingerprint: r.fingerprint, properties: r.properties,
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
  set(a, 'manifest', r.manifest);
  return a;
}

export function executionOf(r: any): ExecutionRecord {
  const e: ExecutionRecord = {
    id: r.id, component: r.type, componentVersion: r.component_version, nodeId: r.node_id, runId: r.run_id, state: r.state,
    params: r.params, cacheKey: r.cache_key, startedAt: r.started_at, pid: r.pid, logFile: r.log_file, properties: r.properties,
  };
  set(e, 'cachedFrom', r.cached_from);
  set(e, 'finishedAt', r.finished_at);
  set(e, 'error', r.error);
  set(e, 'host', r.host);
  return e;
}

export const contextOf = (r: any): ContextRecord => ({ id: r.id, type: r.type, name: r.name, properties: r.properties });
export const eventOf = (r: any): EventRecord => ({ executionId: r.execution_id, artifactId: r.artifact_id, type: r.type, key: r.key, time: r.time });
export const associationOf = (r: any): Association => ({ executionId: r.execution_id, contextId: r.context_id });
export const attributionOf = (r: any): Attribution => ({ artifactId: r.artifact_id, contextId: r.context_id });
