/**
 * What the Runs and Artifacts views show, computed from a view of the metadata store (the newest
 * runs of one pipeline, read by store-source.ts from whichever store it uses). Pure and `vscode`-free.
 */
import { listRuns, runLabels, type RunLabel, type ArtifactRecord, type ExecutionRecord, type StoreData, type CpuBreakdown, type RunRuntime } from '../../../runtime/src/host-api.ts';

export interface ArtifactItem {
  id: number;
  type: string;
  uri: string;
  state: string;
  /** The output name it was recorded under, and the node that produced it. */
  key?: string;
  nodeId?: string;
  executionId?: number;
  createdAt: string;
}

export interface ExecutionItem {
  executionId: number;
  nodeId: string;
  component: string;
  state: string;
  durationMs?: number;
  /** A cache hit reused the outputs of this earlier execution. */
  cachedFrom?: number;
  logFile: string;
  error?: string;
  outputs: ArtifactItem[];
}

export interface RunItem {
  runId: string;
  state: string;
  startedAt: string;
  durationMs?: number;
  /** CPU and peak RSS of the process that ran it (recorded with runs since they were kept). */
  cpu?: CpuBreakdown;
  peakRssMb?: number;
  /** The runtime that ran it, and why the editor chose it. */
  runtime?: RunRuntime;
  /** Pipeline, start time and what changed since the previous run, besides the id. */
  label: RunLabel;
  executions: ExecutionItem[];
}

function durationOf(startedAt?: string, finishedAt?: string): number | undefined {
  return startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : undefined;
}

function artifactItem(a: ArtifactRecord, producer?: { key: string; execution?: ExecutionRecord }): ArtifactItem {
  return {
    id: a.id,
    type: a.type,
    uri: a.uri,
    state: a.state,
    key: producer?.key,
    nodeId: producer?.execution?.nodeId,
    executionId: producer?.execution?.id,
    createdAt: a.createdAt,
  };
}

/** Runs (the runtime's listRuns), newest first, each with its executions in order and their output artifacts. */
export function runsFromStore(data: StoreData): RunItem[] {
  const artifacts = new Map(data.artifacts.map((a) => [a.id, a]));
  const outputs = new Map<number, ArtifactItem[]>();
  const executions = new Map(data.executions.map((e) => [e.id, e]));
  for (const ev of data.events) {
    if (ev.type !== 'OUTPUT') continue;
    const a = artifacts.get(ev.artifactId);
    if (!a) continue;
    const list = outputs.get(ev.executionId) ?? [];
    list.push(artifactItem(a, { key: ev.key, execution: executions.get(ev.executionId) }));
    outputs.set(ev.executionId, list);
  }
  const labels = runLabels(data);
  return listRuns(data)
    .map(({ runId, pipeline, state, startedAt, durationMs, cpu, peakRssMb, runtime, executions: runExecutions }): RunItem => ({
      runId,
      label: labels.get(runId) ?? { pipeline, time: startedAt, text: [pipeline, startedAt].filter(Boolean).join(' · ') },
      state,
      startedAt,
      durationMs,
      ...(cpu && { cpu }),
      ...(peakRssMb !== undefined && { peakRssMb }),
      ...(runtime && { runtime }),
      executions: runExecutions.map((e) => ({
        executionId: e.id,
        nodeId: e.nodeId,
        component: e.component,
        state: e.state,
        durationMs: durationOf(e.startedAt, e.finishedAt),
        cachedFrom: e.cachedFrom,
        logFile: e.logFile,
        error: e.error,
        // A cache hit's outputs are the reused execution's.
        outputs: outputs.get(e.id) ?? (e.cachedFrom !== undefined ? outputs.get(e.cachedFrom) ?? [] : []),
      })),
    }))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/**
 * Artifacts that still exist (not deleted or abandoned), grouped by type, newest first; with
 * `pipeline`, only those attributed to it (another pipeline's outputs it reused stay under theirs).
 */
export function artifactsByType(data: StoreData, pipeline?: string): Map<string, ArtifactItem[]> {
  const contexts = new Set(data.contexts.filter((c) => c.type === 'pipeline' && c.name === pipeline).map((c) => c.id));
  const own = new Set(data.attributions.filter((t) => contexts.has(t.contextId)).map((t) => t.artifactId));
  const producers = new Map<number, { key: string; execution?: ExecutionRecord }>();
  const executions = new Map(data.executions.map((e) => [e.id, e]));
  for (const ev of data.events) {
    if (ev.type === 'OUTPUT' && !producers.has(ev.artifactId)) producers.set(ev.artifactId, { key: ev.key, execution: executions.get(ev.executionId) });
  }
  const groups = new Map<string, ArtifactItem[]>();
  for (const a of [...data.artifacts].sort((x, y) => y.id - x.id)) {
    if (a.state === 'DELETED' || a.state === 'ABANDONED' || a.state === 'MARKED_FOR_DELETION') continue;
    if (pipeline !== undefined && !own.has(a.id)) continue;
    const list = groups.get(a.type) ?? [];
    list.push(artifactItem(a, producers.get(a.id)));
    groups.set(a.type, list);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** `1.23 s`, `850 ms`, `2 min 05 s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}
