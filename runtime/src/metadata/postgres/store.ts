/**
 * The metadata store on a shared Postgres server, for teams and clusters: every machine that runs
 * a step of a pipeline (an Argo pod, a colleague's laptop) writes to it concurrently.
 *
 * It keeps the embedded store's model, so the engine cannot tell them apart: a run's records are
 * rows tagged with its number, a change is applied in memory to the run's records (embedded/
 * tracking.ts) and only what it touched is written, in one real transaction:
 *
 * - Atomic publish: an execution COMPLETE and its outputs LIVE commit together or not at all; a
 *   process killed mid-transaction leaves nothing (the server rolls it back).
 * - Concurrency: a change locks its run's row (`SELECT … FOR UPDATE`) for the milliseconds of the
 *   write, never across a node's work, so runs never wait for each other and steps of one run on
 *   many machines take turns. A process keeps the runs it writes in memory and reloads one only
 *   when the run's `version` says another process wrote it since.
 * - Crash recovery: `recover()` repairs the runs flagged `open`, as the embedded store does.
 * - Readers query the indexes (schema.ts) and load only the runs they name, several per query.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import type { ArtifactRecord, StoreData } from '../../core/metadata-types.ts';
import { UserError } from '../../core/errors.ts';
import type { CachedExecution, MetadataBackend, StoreQueries } from '../backend.ts';
import { STORE_FORMAT, seqOfId } from '../embedded/layout.ts';
import { RunRecords, type JournalLine } from '../embedded/journal.ts';
import { applyChange, isEmptyLine } from '../embedded/tracking.ts';
import { lineageInputs, NODE_LOOKBACK, referencedIds, ViewBuilder } from '../embedded/reader.ts';
import { isAlive, recoveryFor } from '../records.ts';
import { migrate, TYPE_KIND } from './schema.ts';
import { redactUrl } from '../url.ts';

export { redactUrl };
import * as rows from './rows.ts';
import { KeyedQueue } from '../../util/keyed-queue.ts';

/** How many executions per cache key a lookup tries (newest first), as the embedded index keeps. */
const CACHE_ENTRIES = 8;
/** Rows per INSERT statement (Postgres allows 65,535 parameters in one). */
const ROWS_PER_INSERT = 1000;

/** bigint (int8) columns as numbers: ids stay far below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

interface RunWriter {
  records: RunRecords;
  version: number;
  open: boolean;
  typesMarked: Set<string>;
}

export class PostgresMetadataStore implements MetadataBackend {
  readonly kind = 'postgres';
  readonly location: string;
  readonly queries: StoreQueries;
  private readonly writers = new Map<number, RunWriter>();
  /** One change at a time per run inside this process (the row lock orders processes). */
  private readonly perRun = new KeyedQueue<number>();
  private readonly typeIds = new Map<string, number>();
  private readonly seqs = new Map<string, number>();

  private constructor(private readonly pool: pg.Pool, url: string) {
    this.location = redactUrl(url);
    this.queries = new PostgresQueries(this);
  }

  /** Connects, brings the schema up to date (once, whoever comes first) and recovers dead runs. */
  static async open(url: string): Promise<PostgresMetadataStore> {
    // allowExitOnIdle: a CLI process ends when its work does, without closing the pool by hand.
    const pool = new pg.Pool({ connectionString: url, max: 4, allowExitOnIdle: true, types: TYPES });
    pool.on('error', () => undefined); // an idle client's lost connection: the next query reconnects
    const store = new PostgresMetadataStore(pool, url);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new UserError(`Cannot connect to the metadata store ${store.location}: ${(e as Error).message}`);
    }
    try {
      await migrate(client, store.location);
    } finally {
      client.release();
    }
    await store.recover();
    return store;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Runs' records as one consistent snapshot (a read-only repeatable-read transaction). */
  loadRuns(seqs: number[]): Promise<Map<number, RunRecords>> {
    if (!seqs.length) return Promise.resolve(new Map());
    return this.withClient(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await loadRuns(client, seqs);
      } finally {
        await client.query('COMMIT').catch(() => undefined);
      }
    });
  }

  /** Runs `work` on one connection. */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  async seqOf(runId: string): Promise<number | undefined> {
    const known = this.seqs.get(runId);
    if (known !== undefined) return known;
    const { rows: found } = await this.query<{ seq: number }>('SELECT seq FROM runs WHERE run_id = $1', [runId]);
    if (found.length) this.seqs.set(runId, found[0].seq);
    return found[0]?.seq;
  }

  async ensureRun(runId: string, pipeline: string): Promise<number> {
    const known = await this.seqOf(runId);
    if (known !== undefined) return known;
    await this.query(
      `INSERT INTO runs (seq, run_id, pipeline, created_at) VALUES (nextval('run_numbers'), $1, $2, $3) ON CONFLICT (run_id) DO NOTHING`,
      [runId, pipeline, new Date().toISOString()],
    );
    return (await this.seqOf(runId))!;
  }

  async transaction<T>(runId: string, change: (data: StoreData) => T): Promise<T> {
    const seq = await this.seqOf(runId);
    if (seq === undefined) throw new Error(`No run ${runId} in the metadata store ${this.location}`);
    return this.perRun.run(seq, () =>
      this.withClient(async (client) => {
        await client.query('BEGIN');
        try {
          const result = await this.applyLocked(client, seq, change);
          await client.query('COMMIT');
          return result;
        } catch (e) {
          this.writers.delete(seq);
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }),
    );
  }

  private async applyLocked<T>(client: pg.PoolClient, seq: number, change: (data: StoreData) => T): Promise<T> {
    const { rows: locked } = await client.query<{ version: number; open: boolean }>('SELECT version, open FROM runs WHERE seq = $1 FOR UPDATE', [seq]);
    const version = locked[0].version;
    let writer = this.writers.get(seq);
    if (writer && writer.version < version) {
      // Another process wrote the run since: only the rows it changed.
      writer.records.apply(await changedRows(client, seq, writer.version));
      writer.version = version;
      writer.open = locked[0].open;
    } else if (!writer || writer.version !== version) {
      // First change of this run here: the whole run, once.
      const records = (await loadRuns(client, [seq])).get(seq)!;
      writer = { records, version, open: locked[0].open, typesMarked: writer?.typesMarked ?? new Set() };
      this.writers.set(seq, writer);
      if (this.writers.size > 64) this.writers.delete(this.writers.keys().next().value!);
    }
    const { result, line, open } = applyChange(writer.records, change);
    if (isEmptyLine(line)) return result;
    await this.write(client, writer, line, version + 1);
    await client.query('UPDATE runs SET version = $2, open = $3 WHERE seq = $1', [seq, version + 1, open]);
    writer.version = version + 1;
    writer.open = open;
    return result;
  }

  /** The rows of one change: records upserted by id, links appended, and the run's types marked. */
  private async write(client: pg.PoolClient, writer: RunWriter, line: JournalLine, version: number): Promise<void> {
    const { seq, pipeline } = writer.records.header;
    const typeId = (kind: keyof typeof TYPE_KIND, name: string) => this.typeId(client, kind, name);
    await insert(client, rows.ARTIFACTS, line.a ?? [], seq, version, (a) => typeId('artifact', a.type));
    await insert(client, rows.EXECUTIONS, line.x ?? [], seq, version, (e) => typeId('execution', e.component));
    await insert(client, rows.CONTEXTS, line.c ?? [], seq, version, (c) => typeId('context', c.type));
    await insert(client, rows.EVENTS, line.e ?? [], seq, version);
    await insert(client, rows.ASSOCIATIONS, line.s ?? [], seq, version);
    await insert(client, rows.ATTRIBUTIONS, line.t ?? [], seq, version);
    const types = [...new Set((line.a ?? []).filter((a) => a.state === 'LIVE' && !writer.typesMarked.has(a.type)).map((a) => a.type))];
    if (types.length) {
      await client.query(
        'INSERT INTO run_types (pipeline, type, run_seq) SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING',
        [pipeline, types, seq],
      );
      for (const t of types) writer.typesMarked.add(t);
    }
  }

  private async typeId(client: pg.PoolClient, kind: keyof typeof TYPE_KIND, name: string): Promise<number> {
    const key = `${kind}\u0000${name}`;
    const known = this.typeIds.get(key);
    if (known !== undefined) return known;
    await client.query('INSERT INTO types (name, type_kind) VALUES ($1, $2) ON CONFLICT (name, type_kind) DO NOTHING', [name, TYPE_KIND[kind]]);
    const { rows: found } = await client.query<{ id: number }>('SELECT id FROM types WHERE name = $1 AND type_kind = $2', [name, TYPE_KIND[kind]]);
    this.typeIds.set(key, found[0].id);
    return found[0].id;
  }

  async findCached(
    key: string,
    usable: (outputs: Record<string, ArtifactRecord>) => boolean | Promise<boolean>,
  ): Promise<CachedExecution | undefined> {
    const { rows: hits } = await this.query(
      `SELECT e.*, t.name AS type FROM executions e JOIN types t ON t.id = e.type_id
       WHERE e.cache_key = $1 AND e.state = 'COMPLETE' ORDER BY e.id DESC LIMIT ${CACHE_ENTRIES}`,
      [key],
    );
    if (!hits.length) return undefined;
    const { rows: outs } = await this.query(
      `SELECT ev.execution_id, ev.key AS output, a.*, t.name AS type FROM events ev
       JOIN artifacts a ON a.id = ev.artifact_id JOIN types t ON t.id = a.type_id
       WHERE ev.execution_id = ANY($1::bigint[]) AND ev.type = 'OUTPUT' ORDER BY ev.id`,
      [hits.map((h) => h.id)],
    );
    for (const hit of hits) {
      const outputs: Record<string, ArtifactRecord> = {};
      for (const o of outs) if (o.execution_id === hit.id) outputs[o.output] = rows.artifactOf(o);
      if (await usable(outputs)) return { execution: rows.executionOf(hit), outputs };
    }
    return undefined;
  }

  /**
   * Crash recovery over the runs flagged open. Every process runs it when it opens the store (each
   * Argo step of a 5,000-node run too), so the server first says which open runs could need a
   * repair (a RUNNING execution, or the run RUNNING, whose process is gone) and only those load.
   */
  async recover(alive: (pid: number) => boolean = isAlive): Promise<number> {
    let recovered = 0;
    const host = hostname();
    const open = await this.queries.openSeqs();
    if (!open.length) return 0;
    const { rows: owners } = await this.query<{ run_seq: number; pid: number | null; host: string | null; run: boolean }>(
      `SELECT run_seq, pid, host, false AS run FROM executions WHERE run_seq = ANY($1::bigint[]) AND state = 'RUNNING'
       UNION ALL
       SELECT c.run_seq, (c.properties->>'pid')::integer, c.properties->>'host', true FROM contexts c JOIN types t ON t.id = c.type_id
       WHERE c.run_seq = ANY($1::bigint[]) AND t.name = 'pipeline_run' AND t.type_kind = $2 AND c.properties->>'state' = 'RUNNING'`,
      [open, TYPE_KIND.context],
    );
    // recoveryFor decides again on the loaded run: this only spares loading the healthy ones.
    const dead = owners.filter((o) => o.pid !== null && (!o.run || o.host === host) && !alive(o.pid)).map((o) => o.run_seq);
    for (const [, run] of await this.loadRuns([...new Set(dead)])) {
      const repair = recoveryFor(run.data, alive, host);
      if (repair) recovered += await this.transaction(run.header.runId, repair);
    }
    return recovered;
  }

  /** Server-side maintenance (`tributary metadata reindex|compact`): the server keeps the indexes itself. */
  async maintain(what: 'reindex' | 'vacuum'): Promise<void> {
    const tables = ['types', 'runs', 'artifacts', 'executions', 'contexts', 'events', 'associations', 'attributions', 'run_types'];
    for (const t of tables) await this.query(what === 'reindex' ? `REINDEX TABLE ${t}` : `VACUUM (ANALYZE) ${t}`);
  }

  async read(): Promise<StoreData> {
    return this.queries.view(await this.queries.runSeqs(), false);
  }
}

/** Inserts (or, for records with ids, upserts) rows, a statement per `ROWS_PER_INSERT`. */
async function insert<R>(
  client: pg.PoolClient,
  shape: rows.TableShape<R>,
  records: R[],
  runSeq: number,
  version: number,
  typeOf: (record: R) => Promise<number> = async () => 0,
): Promise<void> {
  const upsert = shape.columns[0] === 'id';
  const columns = [...shape.columns, rows.VERSION_COLUMN];
  const update = columns.filter((c) => c !== 'id' && c !== 'run_seq').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  for (let from = 0; from < records.length; from += ROWS_PER_INSERT) {
    const chunk = records.slice(from, from + ROWS_PER_INSERT);
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const r of chunk) {
      const row = [...shape.values(r, runSeq, await typeOf(r)), version];
      tuples.push(`(${row.map((_, i) => `$${values.length + i + 1}`).join(', ')})`);
      values.push(...row);
    }
    const conflict = upsert ? ` ON CONFLICT (id) DO UPDATE SET ${update}` : '';
    await client.query(`INSERT INTO ${shape.table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${conflict}`, values);
  }
}

/** The rows of run `seq` written after `version`, as one journal line (upserts replace by id). */
async function changedRows(client: pg.ClientBase, seq: number, version: number): Promise<JournalLine> {
  const typed = (table: string) =>
    client.query(`SELECT r.*, t.name AS type FROM ${table} r JOIN types t ON t.id = r.type_id WHERE r.run_seq = $1 AND r.version > $2 ORDER BY r.id`, [seq, version]);
  const plain = (table: string) => client.query(`SELECT * FROM ${table} WHERE run_seq = $1 AND version > $2 ORDER BY id`, [seq, version]);
  return {
    a: (await typed('artifacts')).rows.map(rows.artifactOf),
    x: (await typed('executions')).rows.map(rows.executionOf),
    c: (await typed('contexts')).rows.map(rows.contextOf),
    e: (await plain('events')).rows.map(rows.eventOf),
    s: (await plain('associations')).rows.map(rows.associationOf),
    t: (await plain('attributions')).rows.map(rows.attributionOf),
  };
}

/** Runs' records, several runs per query: records ordered as they were created. */
async function loadRuns(client: pg.ClientBase, seqs: number[]): Promise<Map<number, RunRecords>> {
  const out = new Map<number, RunRecords>();
  if (!seqs.length) return out;
  const ids = [...new Set(seqs)];
  const { rows: runs } = await client.query('SELECT * FROM runs WHERE seq = ANY($1::bigint[])', [ids]);
  if (!runs.length) return out;
  const typed = (table: string) =>
    client.query(`SELECT r.*, t.name AS type FROM ${table} r JOIN types t ON t.id = r.type_id WHERE r.run_seq = ANY($1::bigint[]) ORDER BY r.id`, [ids]);
  const plain = (table: string) => client.query(`SELECT * FROM ${table} WHERE run_seq = ANY($1::bigint[]) ORDER BY id`, [ids]);
  // One connection answers one query at a time: in sequence.
  const a = await typed('artifacts');
  const x = await typed('executions');
  const c = await typed('contexts');
  const e = await plain('events');
  const s = await plain('associations');
  const t = await plain('attributions');
  for (const r of runs) {
    out.set(r.seq, new RunRecords({ format: STORE_FORMAT, runId: r.run_id, seq: r.seq, pipeline: r.pipeline, createdAt: r.created_at }));
  }
  const lines = new Map<number, Required<JournalLine>>();
  const lineOf = (seq: number) => {
    let l = lines.get(seq);
    if (!l) lines.set(seq, (l = { a: [], x: [], c: [], e: [], s: [], t: [] }));
    return l;
  };
  for (const r of a.rows) lineOf(r.run_seq).a.push(rows.artifactOf(r));
  for (const r of x.rows) lineOf(r.run_seq).x.push(rows.executionOf(r));
  for (const r of c.rows) lineOf(r.run_seq).c.push(rows.contextOf(r));
  for (const r of e.rows) lineOf(r.run_seq).e.push(rows.eventOf(r));
  for (const r of s.rows) lineOf(r.run_seq).s.push(rows.associationOf(r));
  for (const r of t.rows) lineOf(r.run_seq).t.push(rows.attributionOf(r));
  for (const [seq, line] of lines) out.get(seq)?.apply(line);
  return out;
}

class PostgresQueries implements StoreQueries {
  constructor(private readonly store: PostgresMetadataStore) {}

  seqOf(runId: string): Promise<number | undefined> {
    return this.store.seqOf(runId);
  }

  async runSeqs(options: { pipeline?: string; limit?: number; before?: number } = {}): Promise<number[]> {
    const limit = options.limit === undefined || !Number.isFinite(options.limit) ? null : options.limit;
    const before = options.before === undefined || !Number.isFinite(options.before) ? null : options.before;
    const { rows: found } = await this.store.query<{ seq: number }>(
      `SELECT seq FROM runs WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
      [options.pipeline ?? null, before, limit],
    );
    return found.map((r) => r.seq);
  }

  async openSeqs(): Promise<number[]> {
    const { rows: found } = await this.store.query<{ seq: number }>('SELECT seq FROM runs WHERE open ORDER BY seq');
    return found.map((r) => r.seq);
  }

  async typeSeqs(pipeline: string, type: string, limit: number): Promise<number[]> {
    const { rows: found } = await this.store.query<{ run_seq: number }>(
      'SELECT run_seq FROM run_types WHERE pipeline = $1 AND type = $2 ORDER BY run_seq DESC LIMIT $3',
      [pipeline, type, Number.isFinite(limit) ? limit : null],
    );
    return found.map((r) => r.run_seq);
  }

  async nodeSeq(pipeline: string | undefined, nodeId: string, lookback = NODE_LOOKBACK): Promise<number | undefined> {
    // The node's executions newest first (executions_by_node), kept to the pipeline's newest
    // `lookback` runs: it stops at the first one of the pipeline's.
    const { rows: found } = await this.store.query<{ run_seq: number }>(
      `SELECT e.run_seq FROM executions e JOIN runs r ON r.seq = e.run_seq
       WHERE e.node_id = $2 AND ($1::text IS NULL OR r.pipeline = $1)
         AND e.run_seq >= coalesce((SELECT min(seq) FROM (
           SELECT seq FROM runs WHERE $1::text IS NULL OR pipeline = $1 ORDER BY seq DESC LIMIT $3) newest), 0)
       ORDER BY e.run_seq DESC LIMIT 1`,
      [pipeline ?? null, nodeId, lookback],
    );
    return found[0]?.run_seq;
  }

  async stamp(pipeline?: string): Promise<string> {
    // The newest run (a run started) and the open runs' versions (one wrote, or one finished).
    const { rows: found } = await this.store.query<{ newest: number | null; open: string | null }>(
      `SELECT (SELECT max(seq) FROM runs WHERE $1::text IS NULL OR pipeline = $1) AS newest,
              (SELECT string_agg(seq || ':' || version, ' ' ORDER BY seq) FROM runs WHERE open AND ($1::text IS NULL OR pipeline = $1)) AS open`,
      [pipeline ?? null],
    );
    return `${found[0].newest ?? 0} ${found[0].open ?? ''}`.trim();
  }

  async view(seqs: Iterable<number>, imports = true): Promise<StoreData> {
    const runs = await this.store.loadRuns([...seqs]);
    const view = new ViewBuilder();
    for (const seq of [...runs.keys()].sort((a, b) => a - b)) view.addRun(runs.get(seq)!);
    if (imports) {
      const refs = referencedIds(view);
      const more = [...refs.artifacts, ...refs.executions].map(seqOfId).filter((s) => !runs.has(s));
      for (const [seq, run] of await this.store.loadRuns(more)) runs.set(seq, run);
      view.addReferenced(refs, (seq) => runs.get(seq));
    }
    return view.data;
  }

  async lineageView(artifactId: number): Promise<StoreData> {
    const runs = new Map<number, RunRecords>();
    const seen = new Set<number>();
    let level = [artifactId];
    // One query per lineage level: the runs of this level's artifacts that are not loaded yet.
    while (level.length) {
      const missing = [...new Set(level.map(seqOfId))].filter((s) => !runs.has(s));
      for (const [seq, run] of await this.store.loadRuns(missing)) runs.set(seq, run);
      const next: number[] = [];
      for (const id of level) {
        if (seen.has(id)) continue;
        seen.add(id);
        const run = runs.get(seqOfId(id));
        if (run) next.push(...lineageInputs(run, id).filter((x) => !seen.has(x)));
      }
      level = next;
    }
    return this.view(runs.keys());
  }

  async historyView(pipeline: string, runId: string | undefined, types: string[], window = 50): Promise<StoreData> {
    const seqs = new Set<number>();
    const own = runId === undefined ? undefined : await this.seqOf(runId);
    if (own !== undefined) seqs.add(own);
    for (const type of new Set(types)) for (const s of await this.typeSeqs(pipeline, type, window)) seqs.add(s);
    return this.view(seqs);
  }
}
