/**
 * The Postgres store's tables, modelled on ML Metadata's (types, artifacts, executions, contexts,
 * events, attributions, associations), and the migrations that create and evolve them.
 *
 * - Ids are those of the embedded store (`run number × ID_STRIDE + n`), so records move between
 *   the two unchanged and an id still names its run; `runs` holds one row per run and `run_numbers`
 *   hands out the numbers.
 * - Properties are JSON columns rather than MLMD's one-row-per-property tables: a record is read
 *   and written whole, and `->>` still allows property queries. They are `json`, not `jsonb`
 *   (migration 4): jsonb sorts an object's keys, and a parameter such as ExampleGen's `splits`
 *   ({ train: 2, eval: 1 }) must read back in the order it was written.
 * - Times are kept as the ISO 8601 text the records carry, so a record reads back exactly as written.
 * - Indexes serve what readers ask: a pipeline's runs newest first, the open runs, a cache key's
 *   newest COMPLETE executions, the runs that published a type, and events by artifact and by
 *   execution (lineage).
 *
 * - Executions are indexed by node (migration 3), newest run first: the canvas inspector's
 *   question (a node's last execution) stops at the first row of the pipeline's.
 *
 * - Every row carries the run's `version` that last wrote it (migration 2): a process whose copy of
 *   a run is behind reads only the rows changed since (`run_seq = ? AND version > ?`), so steps of
 *   one run on many machines cost what changed, not the run's size.
 *
 * A migration runs once, in a transaction, under an advisory lock, so processes starting together
 * on an old schema upgrade it once; a store newer than this code is refused.
 */
import type { ClientBase } from 'pg';
import { UserError } from '../../core/errors.ts';

/** MLMD's TypeKind values. */
export const TYPE_KIND = { execution: 0, artifact: 1, context: 2 } as const;

/** Advisory lock key held while migrating ("trib" in ASCII). */
const MIGRATION_LOCK = 0x74726962;

export const MIGRATIONS: { version: number; description: string; sql: string }[] = [
  {
    version: 1,
    description: 'MLMD-shaped tables, runs and their indexes',
    sql: `
CREATE TABLE types (
  id serial PRIMARY KEY,
  name text NOT NULL,
  type_kind smallint NOT NULL,
  UNIQUE (name, type_kind)
);
CREATE SEQUENCE run_numbers;
CREATE TABLE runs (
  seq bigint PRIMARY KEY,
  run_id text NOT NULL UNIQUE,
  pipeline text NOT NULL,
  created_at text NOT NULL,
  open boolean NOT NULL DEFAULT false,
  version bigint NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_pipeline ON runs (pipeline, seq DESC);
CREATE INDEX runs_open ON runs (seq) WHERE open;
CREATE TABLE artifacts (
  id bigint PRIMARY KEY,
  run_seq bigint NOT NULL REFERENCES runs (seq),
  type_id integer NOT NULL REFERENCES types (id),
  uri text NOT NULL,
  state text NOT NULL,
  fingerprint text NOT NULL,
  manifest jsonb,
  properties jsonb NOT NULL,
  created_at text NOT NULL,
  updated_at text NOT NULL
);
CREATE INDEX artifacts_by_run ON artifacts (run_seq);
CREATE INDEX artifacts_by_uri ON artifacts (uri);
CREATE TABLE executions (
  id bigint PRIMARY KEY,
  run_seq bigint NOT NULL REFERENCES runs (seq),
  type_id integer NOT NULL REFERENCES types (id),
  component_version text NOT NULL,
  node_id text NOT NULL,
  run_id text NOT NULL,
  state text NOT NULL,
  params jsonb NOT NULL,
  cache_key text NOT NULL,
  cached_from bigint,
  started_at text NOT NULL,
  finished_at text,
  error text,
  pid integer NOT NULL,
  host text,
  log_file text NOT NULL,
  properties jsonb NOT NULL
);
CREATE INDEX executions_by_run ON executions (run_seq);
CREATE INDEX executions_by_cache_key ON executions (cache_key, id DESC) WHERE state = 'COMPLETE' AND cache_key <> '';
CREATE TABLE contexts (
  id bigint PRIMARY KEY,
  run_seq bigint NOT NULL REFERENCES runs (seq),
  type_id integer NOT NULL REFERENCES types (id),
  name text NOT NULL,
  properties jsonb NOT NULL
);
CREATE INDEX contexts_by_run ON contexts (run_seq);
CREATE INDEX contexts_by_name ON contexts (type_id, name);
CREATE TABLE events (
  id bigserial PRIMARY KEY,
  run_seq bigint NOT NULL REFERENCES runs (seq),
  execution_id bigint NOT NULL REFERENCES executions (id),
  artifact_id bigint NOT NULL REFERENCES artifacts (id),
  type text NOT NULL,
  key text NOT NULL,
  time text NOT NULL
);
CREATE INDEX events_by_run ON events (run_seq);
CREATE INDEX events_by_artifact ON events (artifact_id);
CREATE INDEX events_by_execution ON events (execution_id);
CREATE TABLE associations (
  id bigserial PRIMARY KEY,
  run_seq bigint NOT NULL REFERENCES runs (seq),
  execution_id bigint NOT NULL REFERENCES executions (id),
  context_id bigint NOT NULL REFERENCES contexts (id)
);
CREATE INDEX associations_by_run ON associations (run_seq);
CREATE TABLE attributions (
  id bigserial PRIMARY KEY,
  run_seq bigint NOT NULL REFERENCES runs (seq),
  artifact_id bigint NOT NULL REFERENCES artifacts (id),
  context_id bigint NOT NULL REFERENCES contexts (id)
);
CREATE INDEX attributions_by_run ON attributions (run_seq);
CREATE TABLE run_types (
  pipeline text NOT NULL,
  type text NOT NULL,
  run_seq bigint NOT NULL REFERENCES runs (seq),
  PRIMARY KEY (pipeline, type, run_seq)
);
`,
  },
  {
    version: 2,
    description: 'rows carry the run version that wrote them, so a writer reloads only what others changed',
    // The run's rows by version replaces the index by run (it still serves lookups by run alone).
    sql: ['artifacts', 'executions', 'contexts', 'events', 'associations', 'attributions']
      .map((t) => `ALTER TABLE ${t} ADD COLUMN version bigint NOT NULL DEFAULT 0; DROP INDEX ${t}_by_run; CREATE INDEX ${t}_by_run_version ON ${t} (run_seq, version);`)
      .join('\n'),
  },
  {
    version: 3,
    description: "executions by node, newest first: the editor's inspector finds a node's last execution",
    sql: 'CREATE INDEX executions_by_node ON executions (node_id, run_seq DESC);',
  },
  {
    version: 4,
    description: 'properties, params and manifests as json, which keeps their keys in the order written (jsonb sorts them)',
    // Rows written before keep the order jsonb gave them; no index or query needs jsonb here.
    sql: [
      ['artifacts', 'manifest'],
      ['artifacts', 'properties'],
      ['executions', 'params'],
      ['executions', 'properties'],
      ['contexts', 'properties'],
    ]
      .map(([table, column]) => `ALTER TABLE ${table} ALTER COLUMN ${column} TYPE json USING ${column}::json;`)
      .join('\n'),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the schema to `SCHEMA_VERSION`, each step once; returns the versions applied. */
export async function migrate(client: ClientBase, location: string, migrations = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS tributary_schema (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM tributary_schema');
    const current = rows[0].version;
    const latest = migrations[migrations.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new UserError(`The metadata store at ${location} has schema version ${current}; this Tributary knows up to ${latest}: upgrade Tributary`);
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO tributary_schema (version, description) VALUES ($1, $2)', [m.version, m.description]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return applied;
}
