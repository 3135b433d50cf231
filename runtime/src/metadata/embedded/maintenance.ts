/**
 * Maintenance of the embedded store, run by hand (`tributary metadata reindex|compact`), never on a
 * run's path: both read every journal, O(history).
 *
 * - reindex: rebuilds every index (run ids, the pipelines' runs and types, cache keys, open runs)
 *   from the journals, which are the truth. Each index folder is built aside and swapped in by
 *   rename, so readers see the old index or the new one. A run writing meanwhile may miss its
 *   newest cache entry (a cache miss later, never a lost record).
 * - compact: rewrites the journal of each finished run as its header and one line holding the
 *   final records, under the run's lock, through a temp file renamed over the old one. Readers and
 *   writers notice the new file (another inode) and read it whole.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { readJournal, type JournalLine, type RunRecords } from './journal.ts';
import { StoreLayout } from './layout.ts';
import { isOpenRun } from './tracking.ts';
import { CACHE_ENTRIES, LOCK } from './locking.ts';

/** Every journal of the store, oldest first, with its records (unreadable ones reported, skipped). */
function* journals(layout: StoreLayout, problems: string[]): Generator<{ file: string; records: RunRecords }> {
  const runs = layout.runsDir();
  if (!existsSync(runs)) return;
  for (const bucket of readdirSync(runs).sort()) {
    for (const name of readdirSync(join(runs, bucket)).filter((n) => n.endsWith('.jsonl')).sort()) {
      const file = join(runs, bucket, name);
      try {
        yield { file, records: readJournal(file) };
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
}

/** Writes `files` (path relative to the folder → content) into a fresh folder and swaps it in for `dir`. */
function replaceFolder(dir: string, files: Map<string, string>): void {
  const next = `${dir}.reindex-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  for (const [rel, text] of files) {
    const file = join(next, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(next, dir);
  rmSync(old, { recursive: true, force: true });
}

export interface ReindexReport {
  runs: number;
  cacheKeys: number;
  open: number;
  problems: string[];
}

export function reindex(layout: StoreLayout): ReindexReport {
  const problems: string[] = [];
  const rel = (path: string) => path.slice(layout.dir.length + 1);
  const under = (folder: string, path: string) => rel(path).slice(folder.length + 1);
  const runIds = new Map<string, string>();
  const pipelines = new Map<string, string>();
  const open = new Map<string, string>();
  const cache = new Map<string, number[]>();
  let runs = 0;
  for (const { records } of journals(layout, problems)) {
    runs++;
    const { seq, runId, pipeline } = records.header;
    runIds.set(under('run-ids', layout.runIdFile(runId)), String(seq));
    pipelines.set(under('pipelines', layout.pipelineRunMarker(pipeline, seq)), '');
    for (const type of new Set(records.data.artifacts.filter((a) => a.state === 'LIVE').map((a) => a.type))) {
      pipelines.set(under('pipelines', layout.typeRunMarker(pipeline, type, seq)), '');
    }
    if (isOpenRun(records.data)) open.set(under('open', layout.openMarker(seq)), '');
    for (const e of records.data.executions) {
      if (e.state === 'COMPLETE' && e.cacheKey) cache.set(e.cacheKey, [e.id, ...(cache.get(e.cacheKey) ?? [])].slice(0, CACHE_ENTRIES));
    }
  }
  const cacheFiles = new Map([...cache].map(([key, ids]) => [under('cache', layout.cacheFile(key)), JSON.stringify({ executions: ids })]));
  replaceFolder(join(layout.dir, 'run-ids'), runIds);
  replaceFolder(join(layout.dir, 'pipelines'), pipelines);
  replaceFolder(layout.openDir(), open);
  replaceFolder(join(layout.dir, 'cache'), cacheFiles);
  return { runs, cacheKeys: cache.size, open: open.size, problems };
}

export interface CompactReport {
  runs: number;
  compacted: number;
  bytesBefore: number;
  bytesAfter: number;
  problems: string[];
}

export async function compact(layout: StoreLayout): Promise<CompactReport> {
  const report: CompactReport = { runs: 0, compacted: 0, bytesBefore: 0, bytesAfter: 0, problems: [] };
  for (const { file, records } of journals(layout, report.problems)) {
    report.runs++;
    const before = statSync(file).size;
    report.bytesBefore += before;
    if (isOpenRun(records.data)) {
      report.bytesAfter += before; // a run still writing keeps its journal
      continue;
    }
    const release = await lockfile.lock(file, LOCK);
    try {
      // Read again under the lock: the run may have changed since.
      const current = readJournal(file);
      const { data } = current;
      const line: JournalLine = {
        a: data.artifacts, x: data.executions, c: data.contexts, e: data.events, s: data.associations, t: data.attributions,
      };
      const text = `${JSON.stringify(current.header)}\n${JSON.stringify(line)}\n`;
      const tmp = `${file}.compact-${process.pid}`;
      try {
        writeFileSync(tmp, text);
        renameSync(tmp, file);
      } finally {
        rmSync(tmp, { force: true });
      }
      report.compacted++;
      report.bytesAfter += Buffer.byteLength(text);
    } finally {
      await release().catch(() => undefined);
    }
  }
  return report;
}
