/**
 * Every editor surface that shows metadata (Runs and Artifacts views, artifact viewers, lineage,
 * the canvas inspector, approvals, the pickers) reads it here, from whichever store the pipeline
 * uses. Pure and `vscode`-free:
 * - an embedded store (`<root>/metadata/`) is read through the store's reader (plain fs, no lowdb
 *   or lock library), so the host does not load the writer just to draw a tree;
 * - a Postgres store through the CLI (`tributary metadata view`), out of process, so the host
 *   never loads a database driver. The CLI answers the same `StoreQuery` from the server's indexes.
 */
import { dirname } from 'node:path';
import { metadataUrl, readStoreView, type StoreData, type StoreQuery } from '../../../runtime/src/host-api.ts';

/** Where a pipeline's records are: what the language server says of its file. */
export interface StoreSource {
  /** The pipeline file ('' for an embedded store found above an artifact folder, no pipeline known). */
  file: string;
  /** The pipeline's name: only its runs are read (pipelines may share a store); none: the whole root. */
  name?: string;
  metadataFile: string;
  metadataUrlEnv?: string;
}

/** Runs the CLI (`dist/runtime/cli.js ARGS`) in `cwd` and gives its exit code and output. */
export type CliRunner = (args: string[], cwd: string) => Promise<{ code: number | null; stdout: string; stderr: string }>;

/** Whether the pipeline's records are on a Postgres server (its metadata.url_env, or $TRIBUTARY_METADATA). */
export function onPostgres(source: StoreSource, env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    return metadataUrl(source.metadataUrlEnv ? { url_env: source.metadataUrlEnv } : undefined, env) !== undefined;
  } catch {
    return true; // misconfigured (a url_env not set): the CLI says why
  }
}

/** A name for the store, to key panels and announcements by: the folder, or the server's pipeline. */
export function storeKey(source: StoreSource, env: NodeJS.ProcessEnv = process.env): string {
  return onPostgres(source, env) ? `postgres:${source.file}` : source.metadataFile;
}

/**
 * What the views show of an embedded store: a pipeline's newest runs (only its own: pipelines may
 * share a root), the runs still open, and what the query names; undefined when there is no store
 * yet or it cannot be read right now.
 */
async function readStore(file: string, query: StoreQuery = {}): Promise<StoreData | undefined> {
  try {
    return readStoreView(file, query);
  } catch {
    return undefined;
  }
}

/**
 * The pipeline's view, from whichever store it uses: the embedded files directly, a Postgres
 * server through `tributary metadata view` (undefined, with the CLI's message, when that fails).
 */
export async function readPipelineStore(
  source: StoreSource,
  query: StoreQuery,
  cli: CliRunner | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ data?: StoreData; error?: string }> {
  if (!onPostgres(source, env)) return { data: await readStore(source.metadataFile, { ...query, pipeline: source.name }) };
  if (!cli) return { error: 'this pipeline keeps its records on a Postgres server, which this view cannot reach' };
  const args = ['metadata', 'view', source.file, '--limit', String(query.limit ?? 50)];
  if (query.runIds?.length) args.push('--run', ...query.runIds);
  if (query.artifactId !== undefined) args.push('--artifact', String(query.artifactId));
  if (query.artifactUri !== undefined) args.push('--artifact-uri', query.artifactUri);
  if (query.node !== undefined) args.push('--node', query.node);
  const { code, stdout, stderr } = await cli(args, dirname(source.file));
  if (code !== 0) return { error: stderr.trim().split('\n').pop() || `tributary metadata view exited ${code}` };
  try {
    return { data: JSON.parse(stdout) as StoreData };
  } catch (e) {
    return { error: `tributary metadata view printed no records: ${(e as Error).message}` };
  }
}

/**
 * What changes when another process writes to the Postgres stores of these pipelines, by pipeline
 * file: one `tributary metadata stamp` for all of them (an index lookup each on the server). A
 * failure reads as a stamp of its own, so the views refresh (and say why) when it comes or goes.
 */
export async function postgresStamps(sources: readonly StoreSource[], cli: CliRunner): Promise<Map<string, string>> {
  if (!sources.length) return new Map();
  const files = sources.map((s) => s.file);
  const { code, stdout, stderr } = await cli(['metadata', 'stamp', ...files], dirname(files[0]));
  let stamps: Record<string, string> | undefined;
  try {
    stamps = code === 0 ? (JSON.parse(stdout) as Record<string, string>) : undefined;
  } catch {
    stamps = undefined;
  }
  const failed = `unavailable: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`;
  return new Map(files.map((f) => [f, stamps?.[f] ?? failed]));
}

