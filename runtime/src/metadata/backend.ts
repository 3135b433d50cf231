/**
 * What the engine and the CLI need from a metadata store, whichever keeps it: the embedded one
 * (per-run journals under `<root>/metadata/`, the default) or a shared Postgres server. Every read
 * is async because Postgres answers over the network; the embedded store's synchronous reader
 * stays for the editor's views, which read files.
 */
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';

/** Read-only questions, each answered from indexes and the runs it names, never from all of history. */
export interface StoreQueries {
  /** A run id's number, or undefined when there is no such run. */
  seqOf(runId: string): Promise<number | undefined>;
  /** Run numbers newest first: of one pipeline or all, at most `limit`, below `before`. */
  runSeqs(options?: { pipeline?: string; limit?: number; before?: number }): Promise<number[]>;
  /** Runs RUNNING or WAITING, or left so by a crash not recovered yet. */
  openSeqs(): Promise<number[]>;
  /** The pipeline's newest runs that published an artifact of `type`. */
  typeSeqs(pipeline: string, type: string, limit: number): Promise<number[]>;
  /** The newest run (of the pipeline, or of all) with an execution of `nodeId`, among its newest `lookback` runs. */
  nodeSeq(pipeline: string | undefined, nodeId: string, lookback?: number): Promise<number | undefined>;
  /**
   * Something that changes whenever a run of the pipeline starts, or an open one changes or
   * finishes: what an editor polls to refresh its views. Costs an index lookup, not the history.
   */
  stamp(pipeline?: string): Promise<string>;
  /** The given runs as one view (with `imports`, the records of other runs they refer to). */
  view(seqs: Iterable<number>, imports?: boolean): Promise<StoreData>;
  /** The runs holding an artifact's lineage, as a view. */
  lineageView(artifactId: number): Promise<StoreData>;
  /** This run plus the pipeline's newest `window` runs that published each of `types`. */
  historyView(pipeline: string, runId: string | undefined, types: string[], window?: number): Promise<StoreData>;
}

export interface CachedExecution {
  execution: ExecutionRecord;
  outputs: Record<string, ArtifactRecord>;
}

export interface MetadataBackend {
  readonly kind: 'embedded' | 'postgres';
  /** Where the store is, for messages: a folder, or a URL without its password. */
  readonly location: string;
  readonly queries: StoreQueries;
  /** The run's number, creating the run if it does not exist yet. */
  ensureRun(runId: string, pipeline: string): Promise<number>;
  /**
   * Applies `change` to run `runId`'s own records atomically with respect to every process (and,
   * for Postgres, every machine), and returns a copy of its result.
   */
  transaction<T>(runId: string, change: (data: StoreData) => T): Promise<T>;
  /** The newest execution with this cache key whose outputs `usable` accepts. */
  findCached(key: string, usable: (outputs: Record<string, ArtifactRecord>) => boolean | Promise<boolean>): Promise<CachedExecution | undefined>;
  /** Fails what dead processes left RUNNING; costs the open runs, not the history. */
  recover(alive?: (pid: number) => boolean): Promise<number>;
  /** Every record of every run: O(history), for tests and tools only. */
  read(): Promise<StoreData>;
  /** Releases connections (Postgres); the embedded store holds nothing open. */
  close(): Promise<void>;
}
