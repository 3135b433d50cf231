/**
 * `tributary metadata reindex|compact [FILE]`: maintenance of a pipeline's store, by hand. On the
 * embedded store, reindex rebuilds the indexes from the journals and compact rewrites finished
 * runs' journals as one line each (embedded/maintenance.ts); on Postgres the server keeps its
 * indexes, and these run REINDEX and VACUUM (ANALYZE) on the store's tables.
 */
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import type { MetadataBackend } from '../metadata/backend.ts';
import { compact, reindex } from '../metadata/embedded/maintenance.ts';
import { MetadataStore } from '../metadata/store.ts';
import { PostgresMetadataStore } from '../metadata/postgres/store.ts';

type Print = (line: string) => void;

export function addMetadataCommands(program: Command, open: (file: string | undefined) => Promise<MetadataBackend>, print: Print): void {
  const metadata = program.command('metadata').description("Maintenance of the pipeline's metadata store");
  metadata
    .command('reindex')
    .description('Rebuild the indexes (runs, pipelines, artifact types, cache keys, open runs) from the records')
    .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
    .action(async (file: string | undefined) => {
      const store = await open(file);
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
      const store = await open(file);
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
