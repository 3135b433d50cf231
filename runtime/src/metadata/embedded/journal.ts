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

export class RunRecords {
  readonly data: StoreData = emptyStore();
  /** Bytes of the journal replayed so far (whole lines only). */
  offset = 0;
  private readonly position: Record<Upserted, Map<number, number>> = {
    artifacts: new Map(),
    executions: new Map(),
    contexts: new Map(),
  };

  constructor(readonly header: RunHeader) {}

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
  }

  private upsert<K extends Upserted>(kind: K, records: StoreData[K] | undefined): void {
    if (!records) return;
    const list = this.data[kind] as { id: number }[];
    for (const r of records) {
      const at = this.position[kind].get(r.id);
      if (at === undefined) {
        this.position[kind].set(r.id, list.length);
        list.push(r);
      } else {
        list[at] = r;
      }
    }
  }

  /** Records appended to the arrays in place (by a change): index them for later upserts. */
  indexNew(kind: Upserted, from: number): void {
    const list = this.data[kind] as { id: number }[];
    for (let i = from; i < list.length; i++) this.position[kind].set(list[i].id, i);
  }

  /** Next free ids: this run's block, past the highest id it holds. */
  nextIds(): StoreData['nextId'] {
    const next = (list: { id: number }[]) => list.reduce((m, r) => Math.max(m, r.id + 1), this.header.seq * ID_STRIDE + 1);
    return { artifact: next(this.data.artifacts), execution: next(this.data.executions), context: next(this.data.contexts) };
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
