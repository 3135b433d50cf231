/**
 * The editor's question to a store of either kind (`tributary metadata view`): the pipeline's
 * newest runs, its runs still open, and what the query names (runs, an artifact with its lineage,
 * the run of an artifact folder, a node's newest run), as one view. The embedded store answers the same question
 * synchronously from its files (`readStoreView`); a Postgres store is read through this, out of
 * the editor's process.
 */
import { basename } from 'node:path';
import type { StoreData } from '../core/metadata-types.ts';
import type { StoreQueries } from './backend.ts';
import { DEFAULT_VIEW_RUNS, type StoreQuery } from './embedded/reader.ts';
import { seqOfId } from './embedded/layout.ts';

export async function queryStoreView(queries: StoreQueries, query: StoreQuery = {}): Promise<StoreData> {
  const limit = query.limit ?? DEFAULT_VIEW_RUNS;
  const seqs = new Set(limit > 0 ? await queries.runSeqs({ pipeline: query.pipeline, limit }) : []);
  const open = await queries.openSeqs();
  if (open.length) {
    // Open runs are few: keep those of this pipeline (pipelines may share a store).
    const runs = (await queries.view(open, false)).contexts.filter((c) => c.type === 'pipeline_run');
    for (const c of runs) {
      if (query.pipeline !== undefined && c.properties.pipeline !== query.pipeline) continue;
      const seq = await queries.seqOf(c.name);
      if (seq !== undefined) seqs.add(seq);
    }
  }
  if (query.node !== undefined) {
    const seq = await queries.nodeSeq(query.pipeline, query.node);
    if (seq !== undefined) seqs.add(seq);
  }
  for (const id of query.runIds ?? []) {
    const seq = await queries.seqOf(id);
    if (seq !== undefined) seqs.add(seq);
  }
  const executionId = query.artifactUri === undefined ? NaN : Number(basename(query.artifactUri.replace(/\/+$/, '')));
  if (Number.isInteger(executionId)) seqs.add(seqOfId(executionId));
  if (query.artifactId !== undefined) {
    seqs.add(seqOfId(query.artifactId));
    for (const e of (await queries.lineageView(query.artifactId)).executions) seqs.add(seqOfId(e.id));
  }
  return queries.view(seqs);
}
