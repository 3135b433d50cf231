/**
 * The "Open Artifact Viewer" picker's rows: live artifacts of every pipeline store in the
 * workspace, newest first, each with the pipeline (its context in the store), the node that
 * produced it and its type. Pure and vscode-free.
 */
import type { StoreData } from '../../../runtime/src/host-api.ts';

export interface RecentArtifact {
  artifactId: number;
  type: string;
  uri: string;
  createdAt: string;
  pipeline: string;
  nodeId?: string;
  /** The store it is in, to open it from. */
  storeFile: string;
}

export function recentArtifacts(stores: readonly { file: string; data: StoreData }[], limit = 200): RecentArtifact[] {
  const rows: RecentArtifact[] = [];
  for (const { file, data } of stores) {
    const contexts = new Map(data.contexts.map((c) => [c.id, c]));
    const pipelineOf = new Map<number, string>();
    for (const a of data.associations) {
      const context = contexts.get(a.contextId);
      if (context?.type === 'pipeline') pipelineOf.set(a.executionId, context.name);
    }
    const producer = new Map<number, number>();
    for (const ev of data.events) if (ev.type === 'OUTPUT' && !producer.has(ev.artifactId)) producer.set(ev.artifactId, ev.executionId);
    const executions = new Map(data.executions.map((e) => [e.id, e]));
    for (const a of data.artifacts) {
      if (a.state !== 'LIVE') continue;
      const execution = executions.get(producer.get(a.id) ?? -1);
      rows.push({
        artifactId: a.id,
        type: a.type,
        uri: a.uri,
        createdAt: a.createdAt,
        pipeline: (execution && pipelineOf.get(execution.id)) ?? '',
        ...(execution ? { nodeId: execution.nodeId } : {}),
        storeFile: file,
      });
    }
  }
  return rows.sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.artifactId - x.artifactId).slice(0, limit);
}
