/**
 * Where the embedded store keeps what, under `<root>/metadata/`. Every path is a function of a run's
 * number (`seq`), a pipeline name or a cache key: nothing is found by listing all of history.
 *
 *   format.json                          { format: 2 } (written last by a migration)
 *   next-run.json                        the next run number (lowdb document, taken under a lock)
 *   runs/<bucket>/<seq>.jsonl            one run's records: a header line, then one line per change
 *   run-ids/<runId>                      the run's number
 *   open/<seq>                           a run that is RUNNING or WAITING, or has such executions
 *   cache/<key[0..2]>/<key>.json         newest successful executions with this cache key
 *   pipelines/<name>/runs/<bucket>/<seq>           the pipeline's runs
 *   pipelines/<name>/types/<type>/<bucket>/<seq>   its runs that published an artifact of a type
 *
 * Ids are unique without a global counter: a record of run `seq` has id `seq * ID_STRIDE + n`.
 */
import { basename, dirname, join } from 'node:path';

export const STORE_FORMAT = 2;
/** Records of one kind a run can create (executions, artifacts, contexts each). */
export const ID_STRIDE = 100_000;
/** Runs per folder, so no folder grows past a few thousand entries. */
export const BUCKET = 1000;

export const seqOfId = (id: number): number => Math.floor(id / ID_STRIDE);
const bucketOf = (seq: number): string => String(Math.floor(seq / BUCKET)).padStart(6, '0');
export const seqName = (seq: number): string => String(seq).padStart(9, '0');

/** Path-safe form of a pipeline name or run id (names are usually already safe). */
export const safeName = (name: string): string => (encodeURIComponent(name) || '%').replace(/^\.+/, (m) => '%2E'.repeat(m.length));

export class StoreLayout {
  constructor(readonly dir: string) {}
  get formatFile(): string {
    return join(this.dir, 'format.json');
  }
  get counterFile(): string {
    return join(this.dir, 'next-run.json');
  }
  runsDir(): string {
    return join(this.dir, 'runs');
  }
  journal(seq: number): string {
    return join(this.dir, 'runs', bucketOf(seq), `${seqName(seq)}.jsonl`);
  }
  runIdFile(runId: string): string {
    return join(this.dir, 'run-ids', safeName(runId));
  }
  openDir(): string {
    return join(this.dir, 'open');
  }
  openMarker(seq: number): string {
    return join(this.dir, 'open', seqName(seq));
  }
  cacheFile(key: string): string {
    return join(this.dir, 'cache', safeName(key.slice(0, 2)), `${safeName(key)}.json`);
  }
  pipelineRunsDir(pipeline: string): string {
    return join(this.dir, 'pipelines', safeName(pipeline), 'runs');
  }
  pipelineRunMarker(pipeline: string, seq: number): string {
    return join(this.pipelineRunsDir(pipeline), bucketOf(seq), seqName(seq));
  }
  typeRunsDir(pipeline: string, type: string): string {
    return join(this.dir, 'pipelines', safeName(pipeline), 'types', safeName(type));
  }
  typeRunMarker(pipeline: string, type: string, seq: number): string {
    return join(this.typeRunsDir(pipeline, type), bucketOf(seq), seqName(seq));
  }
}

/** The store folder of a root, from it or from the first format's `metadata.json` path beside it. */
export function storeDirOf(path: string): string {
  return basename(path) === 'metadata.json' ? join(dirname(path), 'metadata') : path;
}
