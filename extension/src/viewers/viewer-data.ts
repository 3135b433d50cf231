/**
 * What an artifact viewer, the lineage panel or a run comparison shows, read from whichever store
 * the pipeline uses (views/store-source.ts: the embedded files, or a Postgres server through the
 * CLI), asking only for what that viewer needs. The payload builders (load.ts, lineage.ts) stay
 * pure functions of the view. Pure Node and `vscode`-free, so it is tested on both stores.
 */
import type { StoreData, StoreQuery } from '../../../runtime/src/host-api.ts';
import type { ViewerPayload } from '../../../protocol/viewer-payload.ts';
import { readPipelineStore, type CliRunner, type StoreSource } from '../views/store-source.ts';
import { lineagePayload } from './lineage.ts';
import { artifactPayload, comparePayload, ViewerError } from './load.ts';
import { recentArtifacts, type RecentArtifact } from './recent.ts';

export interface ViewerRequest {
  kind?: 'artifact' | 'lineage' | 'compare';
  artifactId?: number;
  /** An artifact folder (`<root>/<node>/<output>/<execution id>`), when no id is known. */
  artifactPath?: string;
  runIds?: string[];
  /** How a comparison names the pipeline. */
  pipelineLabel?: string;
}

/**
 * The store query each viewer needs. An artifact viewer: the artifact's run and lineage (its
 * producer, siblings, the anomalies computed from it in its run, a Tuner's hyperparameters) and
 * the open runs (approvals waiting on it), no newest runs. The lineage panel and a comparison also
 * get the pipeline's newest runs: the consumers drawn downstream, the runs a cache hit reused.
 */
export function viewerQuery(request: ViewerRequest): StoreQuery {
  return {
    ...(request.kind === 'artifact' || request.kind === undefined ? { limit: 0 } : {}),
    ...(request.runIds?.length ? { runIds: request.runIds } : {}),
    ...(request.artifactId !== undefined ? { artifactId: request.artifactId } : {}),
    ...(request.artifactPath !== undefined ? { artifactUri: request.artifactPath } : {}),
  };
}

/** The pipeline's view for `query`, or a ViewerError saying why there is none. */
export async function readForViewer(source: StoreSource, query: StoreQuery, cli: CliRunner | undefined, env: NodeJS.ProcessEnv = process.env): Promise<StoreData> {
  const where = source.file || source.metadataFile;
  const { data, error } = await readPipelineStore(source, query, cli, env);
  if (error) throw new ViewerError(`Cannot read the metadata store of ${where}: ${error}`);
  if (!data) throw new ViewerError(`No metadata store at ${source.metadataFile} yet: run the pipeline first`);
  return data;
}

/** The payload to show and the artifact it is about (found by folder when no id was given). */
export async function loadViewer(
  source: StoreSource,
  request: ViewerRequest,
  cli: CliRunner | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ payload: ViewerPayload; artifactId?: number }> {
  if (request.kind === 'compare') {
    const runIds = request.runIds ?? [];
    if (runIds.length < 2) throw new ViewerError('Comparing needs two or more run ids');
    const data = await readForViewer(source, viewerQuery(request), cli, env);
    return { payload: comparePayload(data, request.pipelineLabel ?? source.file, runIds) };
  }
  const data = await readForViewer(source, viewerQuery(request), cli, env);
  let id = request.artifactId;
  if (id === undefined && request.artifactPath !== undefined) {
    const path = request.artifactPath;
    id = data.artifacts.find((a) => a.uri === path || a.uri === path.replace(/\/$/, ''))?.id;
  }
  if (id === undefined) throw new ViewerError('Which artifact? Pass an artifact id or its folder.');
  // The lineage panel of an artifact named by folder: its lineage now that its id is known.
  const full = request.kind === 'lineage' && request.artifactId === undefined ? await readForViewer(source, viewerQuery({ ...request, artifactId: id }), cli, env) : data;
  return { payload: request.kind === 'lineage' ? lineagePayload(full, id) : artifactPayload(full, id), artifactId: id };
}

/** "Open Artifact Viewer"'s rows: live artifacts of these pipelines' stores, newest first, each once. */
export async function recentArtifactsOf(
  sources: readonly StoreSource[],
  cli: CliRunner | undefined,
  env: NodeJS.ProcessEnv = process.env,
  limit?: number,
): Promise<(RecentArtifact & { source: StoreSource })[]> {
  const read = await Promise.all(sources.map(async (source) => ({ source, data: (await readPipelineStore(source, {}, cli, env)).data })));
  const rows: (RecentArtifact & { source: StoreSource })[] = [];
  const seen = new Set<string>();
  for (const { source, data } of read) {
    if (!data) continue; // a pipeline not run yet, or its server unreachable
    for (const row of recentArtifacts([{ file: source.file || source.metadataFile, data }], Infinity)) {
      // Pipelines sharing a store see each other's inputs: one row per artifact of a store.
      const key = `${row.artifactId}\u0000${row.uri}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ ...row, source });
    }
  }
  return rows.sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.artifactId - x.artifactId).slice(0, limit ?? 200);
}
