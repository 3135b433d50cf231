/**
 * Which records a change touched, without comparing the whole run before and after: the change
 * sees the run's arrays through proxies that note every record written to, appended, or whose
 * nested object (properties, params) was taken (it may be modified in place). Only those records
 * go into the journal line, so a change costs what it touches even in a run of thousands of nodes.
 */
import type { StoreData } from '../../core/metadata-types.ts';
import type { JournalLine, RunRecords } from './journal.ts';
import { ID_STRIDE, seqOfId } from './layout.ts';
import { registerLookup, type RunLookup } from '../run-lookup.ts';

type Kind = 'artifacts' | 'executions' | 'contexts' | 'events' | 'associations' | 'attributions';
const KINDS: Kind[] = ['artifacts', 'executions', 'contexts', 'events', 'associations', 'attributions'];

const raw = new WeakMap<object, object>();
const unwrap = <T>(v: T): T => (v && typeof v === 'object' ? ((raw.get(v) as T) ?? v) : v);

export interface Tracked {
  view: StoreData;
  /** Records touched, by kind, and the arrays' lengths before the change (what is new). */
  touched: Map<Kind, Set<object>>;
  lengths: Record<Kind, number>;
  /** Stop noting: records seen after the change are read only for the result. */
  end(): void;
}

/** `lookup`: the run's keyed access; the view gets it too, handing out the same noting proxies. */
export function track(data: StoreData, lookup?: RunLookup): Tracked {
  const touched = new Map<Kind, Set<object>>(KINDS.map((k) => [k, new Set()]));
  let active = true;
  const proxies = new WeakMap<object, object>();
  const record = (kind: Kind, target: object): object => {
    let p = proxies.get(target);
    if (!p) {
      const note = () => active && touched.get(kind)!.add(target);
      p = new Proxy(target, {
        get(t, prop, receiver) {
          const v = Reflect.get(t, prop, receiver);
          if (v && typeof v === 'object') note();
          return v;
        },
        set(t, prop, value) {
          note();
          return Reflect.set(t, prop, unwrap(value));
        },
        deleteProperty(t, prop) {
          note();
          return Reflect.deleteProperty(t, prop);
        },
      });
      proxies.set(target, p);
      raw.set(p, target);
    }
    return p;
  };
  // Called for every element a scan reads: no regex. Array indices are the canonical numeric strings.
  const isIndex = (prop: string | symbol) => typeof prop === 'string' && prop.length > 0 && prop.charCodeAt(0) >= 48 && prop.charCodeAt(0) <= 57;
  const array = (kind: Kind, list: object[]) =>
    new Proxy(list, {
      get(t, prop, receiver) {
        if (isIndex(prop)) {
          const v = t[Number(prop)];
          return v && typeof v === 'object' ? record(kind, v) : v;
        }
        return Reflect.get(t, prop, receiver);
      },
      set(t, prop, value) {
        if (isIndex(prop)) {
          const v = unwrap(value) as object;
          t[Number(prop)] = v;
          if (active) touched.get(kind)!.add(v);
          return true;
        }
        return Reflect.set(t, prop, value);
      },
    });
  const lengths = Object.fromEntries(KINDS.map((k) => [k, data[k].length])) as Record<Kind, number>;
  const view = {
    schemaVersion: data.schemaVersion,
    nextId: data.nextId,
    ...Object.fromEntries(KINDS.map((k) => [k, array(k, data[k] as object[])])),
  } as StoreData;
  if (lookup) {
    const wrap = <R extends object>(kind: Kind, r: R | undefined): R | undefined => (r ? (record(kind, r) as R) : undefined);
    registerLookup(view, {
      artifact: (id) => wrap('artifacts', lookup.artifact(id)),
      execution: (id) => wrap('executions', lookup.execution(id)),
      context: (type, name) => wrap('contexts', lookup.context(type, name)),
      // Events are only appended: read as they are.
      events: (executionId) => [...lookup.events(executionId)],
    });
  }
  return { view, touched, lengths, end: () => (active = false) };
}

/** What a change did to a run: the records to write (a journal line, or rows). */
export interface AppliedChange<T> {
  result: T;
  line: JournalLine;
  /** Whether the run is open after the change (for the open-runs index). */
  open: boolean;
}

/**
 * Applies `change` to a run's records in memory, noting what it touched: the part every backend
 * shares (the embedded one appends `line` to the journal, Postgres upserts it as rows). Records
 * the change created get ids in the run's block; one outside it (a run past `ID_STRIDE - 1`
 * records of a kind) is refused. The caller drops its copy of the run when this throws: the change
 * may have half-modified it.
 */
export function applyChange<T>(records: RunRecords, change: (data: StoreData) => T): AppliedChange<T> {
  records.data.nextId = records.nextIds();
  const tracked = track(records.data, records);
  let result: T;
  try {
    result = change(tracked.view);
  } finally {
    tracked.end();
  }
  const line: JournalLine = {};
  const upserted = { a: 'artifacts', x: 'executions', c: 'contexts' } as const;
  for (const [short, kind] of Object.entries(upserted) as [keyof typeof upserted, (typeof upserted)[keyof typeof upserted]][]) {
    const touched = [...tracked.touched.get(kind)!] as never[];
    if (touched.length) line[short] = touched;
  }
  const appended = { e: 'events', s: 'associations', t: 'attributions' } as const;
  for (const [short, kind] of Object.entries(appended) as [keyof typeof appended, (typeof appended)[keyof typeof appended]][]) {
    const added = records.data[kind].slice(tracked.lengths[kind]);
    if (added.length) line[short] = added as never[];
  }
  const seq = records.header.seq;
  for (const r of [...(line.a ?? []), ...(line.x ?? []), ...(line.c ?? [])]) {
    if (seqOfId(r.id) !== seq) {
      throw new Error(`Run ${records.header.runId} cannot hold record ${r.id}: a run holds at most ${ID_STRIDE - 1} records of a kind`);
    }
  }
  // New records are indexed as they are found; records edited in place may have changed state.
  records.catchUp();
  for (const kind of ['executions', 'contexts'] as const) for (const r of tracked.touched.get(kind)!) records.reindex(kind, r as { id: number });
  return { result: result === undefined ? result : (JSON.parse(JSON.stringify(result)) as T), line, open: records.isOpen() };
}

/**
 * A run is open while it or one of its executions is RUNNING or WAITING: recovery looks at those
 * only. A scan, for tools; a writer asks its `RunRecords` (kept as records change).
 */
export function isOpenRun(data: StoreData): boolean {
  const live = (state: unknown) => state === 'RUNNING' || state === 'WAITING';
  const run = data.contexts.find((c) => c.type === 'pipeline_run');
  return live(run?.properties.state) || data.executions.some((e) => live(e.state));
}

export const isEmptyLine = (line: JournalLine): boolean => Object.keys(line).length === 0;
