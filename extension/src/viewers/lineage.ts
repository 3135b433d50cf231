/**
 * The lineage graph around an artifact (MLMD's events as a graph): upstream, the executions and
 * artifacts it came from back to the data and code they read (path and module parameters of the
 * registry's specs); downstream, the executions that consumed it and what they made, as far as the
 * store view holds them. Shared ancestors appear once. Pure and `vscode`-free.
 */
import { BUILTIN_COMPONENTS, type ArtifactRecord, type ExecutionRecord, type StoreData } from '../../../runtime/src/host-api.ts';
import type { LineageGraph, LineageNode, ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { artifactRef, producerOf, requireArtifact } from './load.ts';

/** More than this many nodes downstream are cut off (a shared input consumed by every later run). */
export const LINEAGE_DOWNSTREAM_LIMIT = 150;

/** Per component: its parameters that name files it reads (`x-path`, not a destination) or user code (`x-module`). */
type SourceParam = { name: string; kind: 'data' | 'code' };
const SOURCE_PARAMS: ReadonlyMap<string, SourceParam[]> = new Map(
  BUILTIN_COMPONENTS.map(({ spec }): [string, SourceParam[]] => {
    const properties = (spec.params as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
    const sources = Object.entries(properties).flatMap(([name, schema]): SourceParam[] => {
      if (schema['x-module']) return [{ name, kind: 'code' }];
      if (schema['x-path'] && !schema['x-destination']) return [{ name, kind: 'data' }];
      return [];
    });
    return [spec.type, sources];
  }),
);

export function lineagePayload(data: StoreData, artifactId: number): ViewerPayload {
  const root = requireArtifact(data, artifactId);
  const artifacts = new Map(data.artifacts.map((a) => [a.id, a]));
  const executions = new Map(data.executions.map((e) => [e.id, e]));
  const graph: LineageGraph = { root: `a${root.id}`, nodes: [], edges: [] };
  const seen = new Set<string>();
  const edge = (from: string, to: string, label: string) => {
    if (!graph.edges.some((x) => x.from === from && x.to === to)) graph.edges.push({ from, to, label });
  };
  const add = (node: LineageNode): boolean => {
    if (seen.has(node.key)) return false;
    seen.add(node.key);
    graph.nodes.push(node);
    return true;
  };
  const artifactNode = (a: ArtifactRecord): LineageNode => {
    const producer = producerOf(data, a.id);
    return {
      key: `a${a.id}`,
      kind: 'artifact',
      id: a.id,
      label: `${a.type} #${a.id}`,
      short: `${a.type} #${a.id}`,
      detail: [producer.execution && `${producer.execution.nodeId}.${producer.key}`, a.state.toLowerCase()].filter(Boolean).join(' · '),
      state: a.state,
    };
  };
  const executionNode = (e: ExecutionRecord): LineageNode => ({
    key: `e${e.id}`,
    kind: 'execution',
    id: e.id,
    label: `${e.nodeId} (${e.component})`,
    short: e.nodeId,
    detail: `#${e.id} ${e.state.toLowerCase()}${e.cachedFrom ? ` from #${e.cachedFrom}` : ''} · ${e.runId}`,
    state: e.state,
  });
  // A cache hit's inputs are those of the execution it reused.
  const inputsOf = (e: ExecutionRecord) => {
    const source = (e.cachedFrom !== undefined && executions.get(e.cachedFrom)) || e;
    return data.events.filter((x) => x.type === 'INPUT' && (x.executionId === e.id || x.executionId === source.id));
  };

  const upArtifact = (a: ArtifactRecord) => {
    if (!add(artifactNode(a))) return;
    const { execution, key } = producerOf(data, a.id);
    if (!execution) return;
    edge(`e${execution.id}`, `a${a.id}`, key ?? '');
    upExecution(execution);
  };
  const upExecution = (e: ExecutionRecord) => {
    if (!add(executionNode(e))) return;
    for (const source of SOURCE_PARAMS.get(e.component) ?? []) {
      const value = e.params[source.name];
      if (typeof value !== 'string' || value === '') continue;
      const key = `s${source.kind}:${value}`;
      add({ key, kind: 'source', id: 0, label: value, short: value.split(/[\\/]/).pop() || value, detail: `${source.kind} · ${source.name}`, state: source.kind });
      edge(key, `e${e.id}`, source.name);
    }
    for (const input of inputsOf(e)) {
      const a = artifacts.get(input.artifactId);
      if (!a) continue;
      edge(`a${a.id}`, `e${e.id}`, input.key);
      upArtifact(a);
    }
  };
  upArtifact(root);

  // Downstream, breadth first so the nearest consumers are kept when the limit cuts.
  let budget = LINEAGE_DOWNSTREAM_LIMIT;
  const queue: ArtifactRecord[] = [root];
  while (queue.length) {
    const a = queue.shift()!;
    for (const use of data.events) {
      if (use.type !== 'INPUT' || use.artifactId !== a.id) continue;
      const consumer = executions.get(use.executionId);
      if (!consumer) continue;
      if (!seen.has(`e${consumer.id}`)) {
        if (budget-- <= 0) {
          graph.truncated = true;
          continue;
        }
        add(executionNode(consumer));
        for (const out of data.events) {
          if (out.type !== 'OUTPUT' || out.executionId !== consumer.id) continue;
          const made = artifacts.get(out.artifactId);
          if (!made) continue;
          edge(`e${consumer.id}`, `a${made.id}`, out.key);
          if (add(artifactNode(made))) queue.push(made);
        }
      }
      edge(`a${a.id}`, `e${consumer.id}`, use.key);
    }
  }
  return { kind: 'lineage', artifact: artifactRef(data, root), graph };
}
