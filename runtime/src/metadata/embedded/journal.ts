/**
 * One run's records as an append-only journal (JSON Lines): a header, then one line per change,
 * holding the records the change created or modified. Replaying the lines (last version of a record
 * wins) gives the run's records. A change is one `write` of one line, so a kill -9 leaves at most a
 * torn last line without its newline: readers skip it, the next writer (under the run's lock) cuts
 * it off. Nothing else is ever rewritten, so a change costs what it writes, not what the run holds.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ArtifactRecord, ContextRecord, EventRecord, ExecutionRecord, StoreData } from '../../core/metadata-types.ts';
import { emptyStore } from '../../core/metadata-types.ts';
import { ID_STRIDE } from './layout.ts';
import { registerLookup, type RunLookup } from '../run-lookup.ts';

export interface RunHeader {
  format: 2;
  runId: string;
  seq: number;
  pipeline: string;
  createdAt: string;
}

export type Association = StoreData['associations'][number];
export type Attribution = StoreData['attributions'][number];

/** One change: a: artifacts, x: executions, c: contexts (upserted by id); e, s, t: events, associations, attributions (appended). */
export interface JournalLine {
  a?: ArtifactRecord[];
  x?: ExecutionRecord[];
  c?: ContextRecord[];
  e?: EventRecord[];
  s?: Association[];
  t?: Attribution[];
}

type Upserted = 'artifacts' | 'executions' | 'contexts';
type Kind = Upserted | 'events' | 'associations' | 'attributions';
const KINDS: Kind[] = ['artifacts', 'executions', 'contexts', 'events', 'associations', 'attributions'];

const live = (state: unknown): boolean => state === 'RUNNING' || state === 'WAITING';
const contextKey = (type: string, name: string): string => `${type}\u0000${name}`;

/**
 * A run's records, with indexes kept up to date as records arrive (replayed lines, or a change's
 * pushes and in-place edits): by id, contexts by type and name, events by execution, the run's
 * next ids and whether it is open. So a change, a cache lookup and a publish cost what they touch,
 * never the size of the run (a 5,000-node run answers as fast as a 4-node one).
 */
export class RunRecords implements RunLookup {
  readonly data: StoreData = emptyStore();
  /** Bytes of the journal replayed so far (whole lines only). */
  offset = 0;
  private readonly position: Record<Upserted, Map<number, number>> = {
    artifacts: new Map(),
    executions: new Map(),
    contexts: new Map(),
  };
  /** How many records of each kind the indexes below have seen (later ones are caught up lazily). */
  private readonly indexed: Record<Kind, number> = { artifacts: 0, executions: 0, contexts: 0, events: 0, associations: 0, attributions: 0 };
  private readonly maxId: Record<Upserted, number>;
  private readonly contextIds = new Map<string, number>();
  private readonly eventsOf = new Map<number, EventRecord[]>();
  private readonly liveExecutions = new Set<number>();
  private runContextId: number | undefined;

  constructor(readonly header: RunHeader) {
    const first = header.seq * ID_STRIDE;
    this.maxId = { artifacts: first, executions: first, contexts: first };
    registerLookup(this.data, this);
  }

  /** Replays whole lines of `text` (starting at the journal's `offset`); `file` names errors. */
  replay(text: string, file: string, firstLine: number): void {
    const lines = text.split('\n');
    lines.pop(); // text ends with a newline: the last element is empty
    lines.forEach((line, i) => {
      let parsed: JournalLine;
      try {
        parsed = JSON.parse(line) as JournalLine;
      } catch (e) {
        throw new Error(`Metadata store ${file}:${firstLine + i}: cannot be read: ${(e as Error).message}`);
      }
      this.apply(parsed);
    });
  }

  apply(line: JournalLine): void {
    this.upsert('artifacts', line.a);
    this.upsert('executions', line.x);
    this.upsert('contexts', line.c);
    if (line.e) this.data.events.push(...line.e);
    if (line.s) this.data.associations.push(...line.s);
    if (line.t) this.data.attributions.push(...line.t);
    this.catchUp();
  }

  private upsert<K extends Upserted>(kind: K, records: StoreData[K] | undefined): void {
    if (!records) return;
    this.catchUp();
    const list = this.data[kind] as { id: number }[];
    for (const r of records) {
      const at = this.position[kind].get(r.id);
      if (at === undefined) {
        list.push(r);
        this.catchUp();
      } else {
        list[at] = r;
        this.reindex(kind, r);
      }
    }
  }

  /** Indexes records appended to the arrays since the last call (a change pushes without telling). */
  catchUp(): void {
    for (const kind of KINDS) {
      const list = this.data[kind] as unknown[];
      for (let i = this.indexed[kind]; i < list.length; i++) this.indexAt(kind, i);
      this.indexed[kind] = list.length;
    }
  }

  private indexAt(kind: Kind, i: number): void {
    if (kind === 'events') {
      const e = this.data.events[i];
      const list = this.eventsOf.get(e.executionId);
      if (list) list.push(e);
      else this.eventsOf.set(e.executionId, [e]);
      return;
    }
    if (kind === 'associations' || kind === 'attributions') return;
    const r = this.data[kind][i];
    this.position[kind].set(r.id, i);
    this.maxId[kind] = Math.max(this.maxId[kind], r.id);
    this.reindex(kind, r);
  }

  /** A record written in place (replaced by a replayed line, or edited by a change): its keyed state. */
  reindex(kind: Upserted, r: { id: number }): void {
    if (kind === 'executions') {
      if (live((r as ExecutionRecord).state)) this.liveExecutions.add(r.id);
      else this.liveExecutions.delete(r.id);
    } else if (kind === 'contexts') {
      const c = r as ContextRecord;
      const key = contextKey(c.type, c.name);
      if (!this.contextIds.has(key)) this.contextIds.set(key, c.id);
      if (c.type === 'pipeline_run' && this.runContextId === undefined) this.runContextId = c.id;
    }
  }

  artifact(id: number): ArtifactRecord | undefined {
    return this.byId('artifacts', id);
  }

  execution(id: number): ExecutionRecord | undefined {
    return this.byId('executions', id);
  }

  /** The first context of this type and name (as a scan in creation order finds it). */
  context(type: string, name: string): ContextRecord | undefined {
    this.catchUp();
    const id = this.contextIds.get(contextKey(type, name));
    return id === undefined ? undefined : this.byId('contexts', id);
  }

  /** The execution's events, in the order they were recorded. */
  events(executionId: number): readonly EventRecord[] {
    this.catchUp();
    return this.eventsOf.get(executionId) ?? [];
  }

  private byId<K extends Upserted>(kind: K, id: number): StoreData[K][number] | undefined {
    this.catchUp();
    const at = this.position[kind].get(id);
    return at === undefined ? undefined : (this.data[kind][at] as StoreData[K][number]);
  }

  /** Next free ids: this run's block, past the highest id it holds. */
  nextIds(): StoreData['nextId'] {
    this.catchUp();
    return { artifact: this.maxId.artifacts + 1, execution: this.maxId.executions + 1, context: this.maxId.contexts + 1 };
  }

  /** Open while the run or one of its executions is RUNNING or WAITING (what recovery looks at). */
  isOpen(): boolean {
    this.catchUp();
    const run = this.runContextId === undefined ? undefined : this.byId('contexts', this.runContextId);
    return live(run?.properties.state) || this.liveExecutions.size > 0;
  }
}

/**
 * The journal's bytes from `offset` to its end, split into whole lines and a torn tail (bytes after
 * the last newline: a write cut short, or, without the run's lock, one in progress).
 */
export function readTail(file: string, offset: number): { text: string; bytes: number; torn: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    const end = buffer.lastIndexOf(0x0a, read - 1) + 1;
    return { text: buffer.toString('utf8', 0, end), bytes: end, torn: read - end };
  } finally {
    closeSync(fd);
  }
}

/** A whole journal, replayed (readers: no lock, a torn or in-progress last line is skipped). */
export function readJournal(file: string): RunRecords {
  const { text, bytes } = readTail(file, 0);
  const newline = text.indexOf('\n');
  if (newline < 0) throw new Error(`Metadata store ${file}: no header line`);
  let header: RunHeader;
  try {
    header = JSON.parse(text.slice(0, newline)) as RunHeader;
  } catch (e) {
    throw new Error(`Metadata store ${file}:1: cannot be read: ${(e as Error).message}`);
  }
  const records = new RunRecords(header);
  records.replay(text.slice(newline + 1), file, 2);
  records.offset = bytes;
  return records;
}
