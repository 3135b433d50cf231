/** Records modelled on ML Metadata (metadata_store.proto): artifacts, executions, contexts, events. */
import type { ArtifactType } from './artifacts.ts';

export type ArtifactState = 'PENDING' | 'LIVE' | 'MARKED_FOR_DELETION' | 'DELETED' | 'ABANDONED';
/**
 * WAITING: paused for a person's decision (ManualApproval). It survives its process: a later
 * `tributary resume` adopts the execution, so recovery never marks it abandoned.
 */
export type ExecutionState = 'NEW' | 'RUNNING' | 'WAITING' | 'COMPLETE' | 'FAILED' | 'CACHED' | 'CANCELED';
export type ContextType = 'pipeline' | 'pipeline_run' | 'node';
export type EventType = 'INPUT' | 'OUTPUT';

export interface ManifestEntry {
  /** Relative to the artifact's uri, posix separators. */
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  /** Left out of the fingerprint (core/artifacts.ts VOLATILE_CONTENT). */
  volatile?: true;
  /** What the fingerprint takes instead of sha256: the JSON without its volatile keys. */
  contentSha256?: string;
}

export interface ArtifactRecord {
  id: number;
  type: ArtifactType;
  uri: string;
  state: ArtifactState;
  /**
   * Identity of the content for downstream cache keys: once LIVE, a hash over the files' names,
   * sizes and content hashes (`content:…`, see artifact-manifest.ts); before that a placeholder.
   */
  fingerprint: string;
  /** The files published (set when the artifact goes LIVE): re-checked before a cache hit reuses it. */
  manifest?: ManifestEntry[];
  properties: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface ExecutionRecord {
  id: number;
  component: string;
  componentVersion: string;
  nodeId: string;
  runId: string;
  state: ExecutionState;
  params: Record<string, unknown>;
  cacheKey: string;
  /** For CACHED executions: the execution whose outputs were reused. */
  cachedFrom?: number;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** Process that owns a RUNNING execution; lets a later process detect one that died. */
  pid: number;
  /** Host of that process (absent in older records: taken as this host). */
  host?: string;
  logFile: string;
  properties: Record<string, unknown>;
}

export interface ContextRecord {
  id: number;
  type: ContextType;
  name: string;
  properties: Record<string, unknown>;
}

export interface EventRecord {
  executionId: number;
  artifactId: number;
  type: EventType;
  /** The input or output name (MLMD's event path step). */
  key: string;
  time: string;
}

export interface StoreData {
  schemaVersion: 1;
  nextId: { artifact: number; execution: number; context: number };
  artifacts: ArtifactRecord[];
  executions: ExecutionRecord[];
  contexts: ContextRecord[];
  events: EventRecord[];
  /** Execution ↔ context (MLMD Association) and artifact ↔ context (Attribution). */
  associations: { executionId: number; contextId: number }[];
  attributions: { artifactId: number; contextId: number }[];
}

export function emptyStore(): StoreData {
  return {
    schemaVersion: 1,
    nextId: { artifact: 1, execution: 1, context: 1 },
    artifacts: [],
    executions: [],
    contexts: [],
    events: [],
    associations: [],
    attributions: [],
  };
}
