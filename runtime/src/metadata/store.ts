import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import lockfile from 'proper-lockfile';
import { isAlive, outputsOf, recoveryFor } from './records.ts';
import { UserError } from '../core/errors.ts';
import { readJournal, readTail, type JournalLine, type RunHeader, type RunRecords } from './embedded/journal.ts';
import { STORE_FORMAT, StoreLayout, seqOfId, storeDirOf } from './embedded/layout.ts';
import { MetadataReader, storeStamp } from './embedded/reader.ts';
import { migrateLegacyStore } from './embedded/migrate.ts';
import { CACHE_ENTRIES, LOCK } from './embedded/locking.ts';
import { applyChange, isEmptyLine, type AppliedChange } from './embedded/tracking.ts';
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../core/metadata-types.ts';
import type { MetadataBackend, StoreQueries } from './backend.ts';
import { KeyedQueue } from '../util/keyed-queue.ts';

interface RunWriter {
  seq: number;
  file: string;
  /** The journal's inode: another one means it was compacted (rewritten whole) since. */
  ino: number;
  records: RunRecords;
  open?: boolean;
  typesMarked: Set<string>;
}

/** Writes a small file whole: a temp file of this process, then a rename over the old one. */
function replaceFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true }); // never leave the temp file behind (a full disk, say)
    throw writeError(e, file);
  }
}

/**
 * A failed write as the user should read it: a full disk names the file (a UserError, so no stack
 * trace); anything else keeps its stack.
 */
export function writeError(e: unknown, path?: string): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  const file = path ?? (e as NodeJS.ErrnoException)?.path;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new UserError(`disk full writing ${file ?? '(unknown file)'}`, file ? { file } : undefined);
  return e as Error;
}

function touch(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
}

/**
 * The embedded metadata store of a pipeline root: a folder of per-run journals and small indexes
 * (see embedded/layout.ts), so that a write, a cache lookup and a run cost the same with 20,000
 * runs of history as with none.
 *
 * - Atomic publish: a change is one appended line (execution COMPLETE and its outputs LIVE
 *   together); a kill -9 leaves at most a torn line, which readers skip and the next writer cuts.
 * - Concurrency: a change takes its run's lock (milliseconds), replays what other processes
 *   appended, applies the change and appends; runs never wait for each other except to take a
 *   run number. Ids are unique without a global counter (`seq * ID_STRIDE + n`).
 * - Crash recovery: runs that are RUNNING or WAITING are listed in `open/`; `recover()` fails the executions
 *   of processes that died and the runs whose process died.
 * - Readers (`reader`) touch only the runs they need, through indexes that can be rebuilt from
 *   the journals.
 */
export class MetadataStore implements MetadataBackend {
  readonly kind = 'embedded';
  readonly layout: StoreLayout;
  /** Synchronous reads of the files (the editor's views, tests); `queries` is the backend-neutral form. */
  readonly reader: MetadataReader;
  readonly queries: StoreQueries;
  private readonly writers = new Map<number, RunWriter>();
  /** One change at a time per run inside this process (the file lock orders processes). */
  private readonly perRun = new KeyedQueue<number>();

  private constructor(readonly dir: string) {
    this.layout = new StoreLayout(dir);
    this.reader = new MetadataReader(this.layout);
    this.queries = embeddedQueries(this.reader);
  }

  get location(): string {
    return this.dir;
  }

  async close(): Promise<void> {
    // Nothing is held open between changes.
  }

  /**
   * Opens (creating, or migrating from the first format's `metadata.json` once) the store of a
   * root. `path` is the store folder `<root>/metadata` or the old `<root>/metadata.json`.
   */
  static async open(path: string): Promise<MetadataStore> {
    const dir = storeDirOf(path);
    const legacy = join(dirname(dir), 'metadata.json');
    if (existsSync(legacy)) await migrateLegacyStore(legacy, dir);
    const store = new MetadataStore(dir);
    mkdirSync(dir, { recursive: true });
    if (!existsSync(store.layout.formatFile)) replaceFile(store.layout.formatFile, JSON.stringify({ format: STORE_FORMAT }));
    if (!existsSync(store.layout.counterFile)) {
      try {
        writeFileSync(store.layout.counterFile, JSON.stringify({ next: 1 }), { flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    // Whoever opens the store next closes what a dead process left RUNNING (kill -9, a crash, a
    // full disk): no run stays RUNNING for ever. It costs the open runs only.
    await store.recover();
    return store;
  }

  /** Every record of every run, as one snapshot: O(history), for tests and tools only. */
  async read(): Promise<StoreData> {
    return new MetadataReader(this.layout).snapshot();
  }

  /** The run's number, creating the run (header, id, pipeline index) if it does not exist yet. */
  async ensureRun(runId: string, pipeline: string): Promise<number> {
    const known = this.reader.seqOf(runId);
    if (known !== undefined) return known;
    const release = await lockfile.lock(this.layout.counterFile, LOCK);
    try {
      const again = this.reader.seqOf(runId);
      if (again !== undefined) return again;
      const counter = new Low<{ next: number }>(new JSONFile(this.layout.counterFile), { next: 1 });
      await counter.read();
      const seq = counter.data.next;
      counter.data.next = seq + 1;
      try {
        await counter.write();
      } catch (e) {
        // lowdb writes aside and renames: the old counter is intact, only its temp file may be left.
        rmSync(join(dirname(this.layout.counterFile), `.${basename(this.layout.counterFile)}.tmp`), { force: true });
        throw writeError(e, this.layout.counterFile);
      }
      const header: RunHeader = { format: STORE_FORMAT, runId, seq, pipeline, createdAt: new Date().toISOString() };
      const file = this.layout.journal(seq);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(header)}\n`, { flag: 'wx' });
      replaceFile(this.layout.runIdFile(runId), String(seq));
      touch(this.layout.pipelineRunMarker(pipeline, seq));
      return seq;
    } finally {
      await release().catch(() => undefined);
    }
  }

  /**
   * Applies `change` to run `runId`'s records (the run's own records only: records of other runs
   * are read through `reader`) atomically with respect to every process, and returns a copy of its
   * result. Only the records the change touched are written.
   */
  async transaction<T>(runId: string, change: (data: StoreData) => T): Promise<T> {
    const seq = this.reader.seqOf(runId);
    if (seq === undefined) throw new Error(`No run ${runId} in the metadata store ${this.dir}`);
    return this.perRun.run(seq, async () => {
      const file = this.layout.journal(seq);
      const release = await lockfile.lock(file, LOCK);
      try {
        return this.applyLocked(seq, file, change);
      } finally {
        await release().catch(() => undefined);
      }
    });
  }

  private applyLocked<T>(seq: number, file: string, change: (data: StoreData) => T): T {
    let writer = this.writers.get(seq);
    const { ino } = statSync(file);
    if (!writer || writer.ino !== ino) {
      writer = { seq, file, ino, records: readJournal(file), typesMarked: writer?.typesMarked ?? new Set() };
      this.writers.set(seq, writer);
      // A process writes one run, or a few at once: keep those, not every run it ever touched.
      if (this.writers.size > 64) this.writers.delete(this.writers.keys().next().value!);
    }
    const { records } = writer;
    // What other processes appended since; a torn line (a writer killed mid-write) is cut off.
    const tail = readTail(file, records.offset);
    records.replay(tail.text, file, 0);
    records.offset += tail.bytes;
    if (tail.torn) truncateSync(file, records.offset);

    let applied: AppliedChange<T>;
    try {
      applied = applyChange(records, change);
    } catch (e) {
      this.writers.delete(seq); // the change may have half-modified the records in memory
      throw e;
    }
    const { line, result, open } = applied;
    if (!isEmptyLine(line)) {
      const text = `${JSON.stringify(line)}\n`;
      try {
        appendFileSync(file, text);
      } catch (e) {
        this.writers.delete(seq);
        // A part of the line may have been written: cut it, so the journal ends at the last change.
        try {
          truncateSync(file, records.offset);
        } catch {
          // the next writer cuts a torn line as well
        }
        throw writeError(e, file);
      }
      records.offset += Buffer.byteLength(text);
      this.updateIndexes(writer, line, open);
    }
    return result;
  }

  /** Indexes follow the journal; each can be rebuilt from it, so a crash between the two loses no record. */
  private updateIndexes(writer: RunWriter, line: JournalLine, open: boolean): void {
    const { records } = writer;
    const pipeline = records.header.pipeline;
    for (const e of line.x ?? []) if (e.state === 'COMPLETE' && e.cacheKey) this.addCacheEntry(e.cacheKey, e.id);
    for (const a of line.a ?? []) {
      if (a.state !== 'LIVE' || writer.typesMarked.has(a.type)) continue;
      touch(this.layout.typeRunMarker(pipeline, a.type, writer.seq));
      writer.typesMarked.add(a.type);
    }
    if (open !== writer.open) {
      if (open) touch(this.layout.openMarker(writer.seq));
      else rmSync(this.layout.openMarker(writer.seq), { force: true });
      writer.open = open;
    }
  }

  private addCacheEntry(key: string, executionId: number): void {
    const entries = [executionId, ...this.reader.cacheEntries(key).filter((id) => id !== executionId)].slice(0, CACHE_ENTRIES);
    replaceFile(this.layout.cacheFile(key), JSON.stringify({ executions: entries }));
  }

  /**
   * The newest execution with this cache key whose outputs `usable` accepts, with its outputs by
   * name: reads the cache index and the runs it names, nothing else.
   */
  async findCached(
    key: string,
    usable: (outputs: Record<string, ArtifactRecord>) => boolean | Promise<boolean>,
  ): Promise<{ execution: ExecutionRecord; outputs: Record<string, ArtifactRecord> } | undefined> {
    for (const id of this.reader.cacheEntries(key)) {
      const run = this.reader.run(seqOfId(id));
      const execution = run?.execution(id);
      if (!run || !execution || execution.cacheKey !== key || execution.state !== 'COMPLETE') continue;
      const outputs = outputsOf(run.data, id);
      if (await usable(outputs)) return { execution, outputs };
    }
    return undefined;
  }

  /**
   * Crash recovery over the runs still marked open: executions of processes that died become
   * FAILED (outputs ABANDONED); a run whose own process died becomes FAILED. Costs the open runs,
   * not the history.
   */
  async recover(alive: (pid: number) => boolean = isAlive): Promise<number> {
    let recovered = 0;
    const dir = this.layout.openDir();
    if (!existsSync(dir)) return 0;
    const host = hostname();
    for (const name of readdirSync(dir)) {
      const seq = Number.parseInt(name, 10);
      let run: ReturnType<MetadataReader['run']>;
      try {
        run = this.reader.run(seq);
      } catch {
        // A run whose journal cannot be read stays as it is: whoever reads it gets the error with
        // file and line, and the rest of the store stays usable.
        continue;
      }
      if (!run) {
        rmSync(join(dir, name), { force: true });
        continue;
      }
      const repair = recoveryFor(run.data, alive, host);
      if (repair) recovered += await this.transaction(run.header.runId, repair);
    }
    return recovered;
  }
}

/** The embedded reader behind the async interface every backend offers. */
function embeddedQueries(reader: MetadataReader): StoreQueries {
  return {
    seqOf: async (runId) => reader.seqOf(runId),
    runSeqs: async (options) => reader.runSeqs(options),
    openSeqs: async () => reader.openSeqs(),
    typeSeqs: async (pipeline, type, limit) => reader.typeSeqs(pipeline, type, limit),
    nodeSeq: async (pipeline, nodeId, lookback) => reader.nodeSeq(pipeline, nodeId, lookback),
    // The files' stamp covers the whole root (its pipelines share the run counter and open runs).
    stamp: async () => storeStamp(reader.layout.dir),
    view: async (seqs, imports) => reader.view(seqs, imports),
    lineageView: async (id) => reader.lineageView(id),
    historyView: async (pipeline, runId, types, window) => reader.historyView(pipeline, runId, types, window),
  };
}

export { seqOfId, storeDirOf };
export function ownerProperties(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() };
}
