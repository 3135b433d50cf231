/**
 * A node's records as the node runner writes them, through the record functions (records.ts), for
 * tests and benches that build runs of any size: its start (a RUNNING execution, or a CACHED one
 * reusing `cachedFrom`, with its pipeline, run and node contexts and a PENDING output), its publish
 * (COMPLETE, outputs LIVE) and a whole chain of them in one change.
 */
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';
import {
  addEvent, associate, attribute, createArtifact, createExecution, finishExecution, getOrCreateContext, outputsOf,
} from '../../runtime/src/metadata/records.ts';

export function startNode(data: StoreData, pipeline: string, runId: string, node: string, options: { input?: number; cachedFrom?: number; cacheKey?: string } = {}) {
  const { input, cachedFrom } = options;
  const e = createExecution(data, {
    component: 'T', componentVersion: '1', nodeId: node, runId, state: cachedFrom === undefined ? 'RUNNING' : 'CACHED',
    params: { node }, cacheKey: options.cacheKey ?? `key-${node}`, pid: process.pid, logFileFor: () => `runs/${runId}/${node}.log`,
    ...(cachedFrom === undefined ? {} : { cachedFrom }),
  });
  const ctxs = [getOrCreateContext(data, 'pipeline', pipeline), getOrCreateContext(data, 'pipeline_run', runId), getOrCreateContext(data, 'node', `${pipeline}.${node}`)];
  associate(data, e.id, ctxs);
  if (input !== undefined) addEvent(data, e.id, input, 'INPUT', 'in');
  const a = createArtifact(data, 'Examples', (id) => `/root/${node}/${id}`, `fp-${node}`);
  attribute(data, a.id, ctxs);
  addEvent(data, e.id, a.id, 'OUTPUT', 'out');
  return { execution: e.id, artifact: a.id };
}

export function publishNode(data: StoreData, execution: number): void {
  const e = finishExecution(data, execution, 'COMPLETE');
  for (const a of Object.values(outputsOf(data, e.id))) {
    a.state = 'LIVE';
    a.manifest = [];
    a.updatedAt = e.finishedAt!;
  }
}

/** `nodes` nodes n0…, each reading the one before, started and published, with the run RUNNING. */
export function buildRun(data: StoreData, pipeline: string, runId: string, nodes: number, cacheKey = (node: string) => `key-${node}`): void {
  getOrCreateContext(data, 'pipeline_run', runId, { pipeline, state: 'RUNNING' });
  let previous: number | undefined;
  for (let i = 0; i < nodes; i++) {
    const { execution, artifact } = startNode(data, pipeline, runId, `n${i}`, { input: previous, cacheKey: cacheKey(`n${i}`) });
    publishNode(data, execution);
    previous = artifact;
  }
}
