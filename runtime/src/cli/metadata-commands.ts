/**
 * `tributary metadata view [FILE]`: what the editor's Runs and Artifacts views show, as JSON, from
 * a store of either kind (the editor reads a Postgres store through it, out of process): the
 * newest runs, or with --limit 0 just what an artifact viewer, the lineage panel (--artifact) or
 * the canvas inspector (--node) needs. `tributary metadata stamp [FILE...]`: what the editor polls
 * to see that another process wrote, an index lookup per pipeline.
 *
 * `tributary metadata reindex|compact [FILE]`: maintenance of a pipeline's store, by hand. On the
 * embedded store, reindex rebuilds the indexes from the journals and compact rewrites finished
 * runs' journals as one line each (embedded/maintenance.ts); on Postgres the server keeps its
 * indexes, and these run REINDEX and VACUUM (ANALYZE) on the store's tables.
 */
import type { Command } from 'commander';
import { isUserError, UserError } from '../core/errors.ts';
import type { MetadataBackend } from '../metadata/backend.ts';
import { compact, reindex } from '../metadata/embedded/maintenance.ts';
import { MetadataStore } from '../metadata/store.ts';
import { PostgresMetadataStore } from '../metadata/postgres/store.ts';
import { queryStoreView } from '../metadata/store-view.ts';

type Print = (line: string) => void;

interface ViewOptions {
  limit: string;
  run?: string[];
  artifact?: string;
  artifactUri?: string;
  node?: string;
}

export function addMetadataCommands(
  program: Command,
  open: (file: string | undefined) => Promise<{ store: MetadataBackend; pipeline: string }>,
  print: Print,
): void {
  const metadata = program.command('metadata').description("The pipeline's metadata store: what the editor shows, and maintenance");
  metadata
    .command('view')
    .description("The pipeline's newest runs, its open runs and what the options name, as JSON records (what the editor's views show)")
    .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
    .option('--limit <n>', 'newest runs (0: only what the other options name, and the open runs)', '50')
    .option('--run <id...>', 'these runs too')
    .option('--artifact <id>', 'this artifact, its run and its lineage too')
    .option('--artifact-uri <path>', 'the artifact in this folder and its run too')
    .option('--node <id>', "the newest run that ran this node too (the canvas inspector's question)")
    .action(async (file: string | undefined, opts: ViewOptions) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit must be a whole number of runs, not "${opts.limit}"`);
      const artifactId = opts.artifact === undefined ? undefined : Number(opts.artifact);
      if (artifactId !== undefined && !Number.isInteger(artifactId)) throw new UserError(`--artifact must be an artifact id, not "${opts.artifact}"`);
      const { store, pipeline } = await open(file);
      try {
        print(JSON.stringify(await queryStoreView(store.queries, { pipeline, limit, runIds: opts.run, artifactId, artifactUri: opts.artifactUri, node: opts.node })));
      } finally {
        await store.close();
      }
    });
  metadata
    .command('stamp')
    .description("A line that changes whenever a run of the pipeline starts, writes or finishes (what the editor polls on a Postgres store)")
    .argument('[files...]', '*.pipeline.yaml files (default: the one in this folder); one JSON object { file: stamp }')
    .action(async (files: string[]) => {
      const stamps: Record<string, string> = {};
      for (const file of files.length ? files : [undefined]) {
        let opened;
        try {
          opened = await open(file);
        } catch (e) {
          // One pipeline's server down (or no runs yet) must not hide the others': its stamp says so,
          // and changes again when it is back.
          if (!isUserError(e)) throw e;
          stamps[file ?? ''] = `unavailable: ${(e as Error).message}`;
          continue;
        }
        try {
          stamps[file ?? ''] = await opened.store.queries.stamp(opened.pipeline);
        } finally {
          await opened.store.close();
        }
      }
      print(JSON.stringify(stamps));
    });
  metadata
    .command('reindex')
    .description('Rebuild the indexes (runs, pipelines, artifact types, cache keys, open runs) from the records')
    .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
    .action(async (file: string | undefined) => {
      const { store } = await open(file);
      try {
        if (store instanceof PostgresMetadataStore) {
          await store.maintain('reindex');
          print(`reindexed the tables of ${store.location}`);
          return;
        }
        const r = reindex((store as MetadataStore).layout);
        print(`reindexed ${r.runs} run(s): ${r.cacheKeys} cache key(s), ${r.open} open run(s)`);
        reportProblems(r.problems);
      } finally {
        await store.close();
      }
    });
  metadata
    .command('compact')
    .description("Rewrite each finished run's journal as one line (embedded store); VACUUM on Postgres")
    .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
    .action(async (file: string | undefined) => {
      const { store } = await open(file);
      try {
        if (store instanceof PostgresMetadataStore) {
          await store.maintain('vacuum');
          print(`vacuumed and analyzed the tables of ${store.location}`);
          return;
        }
        const r = await compact((store as MetadataStore).layout);
        const mb = (n: number) => (n / 2 ** 20).toFixed(1);
        print(`compacted ${r.compacted} of ${r.runs} run(s) (open runs are left as they are): journals ${mb(r.bytesBefore)} MB → ${mb(r.bytesAfter)} MB`);
        reportProblems(r.problems);
      } finally {
        await store.close();
      }
    });
}

function reportProblems(problems: string[]): void {
  if (problems.length) throw new UserError(`${problems.length} journal(s) could not be read and were left out:\n${problems.join('\n')}`);
}
