/**
 * Migration from the first format (one `metadata.json` holding every record) to the per-run
 * journals: once, under the old file's lock, into a temporary folder that is renamed into place
 * (the commit point), after a copy of the old file is kept as `metadata.json.v1-backup`. Ids are
 * renumbered into each run's block; artifact folders and log files keep their paths.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { ArtifactRecord, ContextRecord, ExecutionRecord, StoreData } from '../../core/metadata-types.ts';
import type { JournalLine, RunHeader } from './journal.ts';
import { ID_STRIDE, STORE_FORMAT, StoreLayout } from './layout.ts';

export const BACKUP_SUFFIX = '.v1-backup';

interface RunGroup {
  runId: string;
  pipeline: string;
  startedAt: string;
  seq: number;
  line: Required<JournalLine>;
  /** Old context id → this run's copy. */
  contexts: Map<number, ContextRecord>;
  next: { artifact: number; execution: number; context: number };
}

export async function migrateLegacyStore(legacy: string, dir: string): Promise<void> {
  const layout = new StoreLayout(dir);
  const backup = `${legacy}${BACKUP_SUFFIX}`;
  if (existsSync(layout.formatFile)) {
    // Migrated by a process that died before removing the old file (the backup was written first).
    if (!existsSync(backup)) copyFileSync(legacy, backup);
    rmSync(legacy, { force: true });
    return;
  }
  const release = await lockfile.lock(legacy, { realpath: false, stale: 60_000, retries: { retries: 600, minTimeout: 50, maxTimeout: 500 } });
  try {
    if (!existsSync(legacy) || existsSync(layout.formatFile)) return; // another process migrated it
    let data: StoreData;
    try {
      data = JSON.parse(readFileSync(legacy, 'utf8')) as StoreData;
    } catch (e) {
      throw new Error(`Metadata store ${legacy} cannot be read: ${(e as Error).message}`);
    }
    const root = dirname(legacy);
    for (const name of readdirSync(root)) if (name.startsWith(`${basename(dir)}.migrating-`)) rmSync(join(root, name), { recursive: true, force: true });
    const tmp = `${dir}.migrating-${process.pid}`;
    writeMigrated(data, new StoreLayout(tmp));
    copyFileSync(legacy, backup);
    if (existsSync(dir)) renameSync(dir, `${dir}.before-migration-${Date.now()}`);
    renameSync(tmp, dir); // the commit point
    rmSync(legacy, { force: true });
  } finally {
    await release().catch(() => undefined);
  }
}

function writeMigrated(data: StoreData, layout: StoreLayout): void {
  const contextById = new Map(data.contexts.map((c) => [c.id, c]));
  const runContexts = data.contexts.filter((c) => c.type === 'pipeline_run');
  const runIds = new Set([...runContexts.map((c) => c.name), ...data.executions.map((e) => e.runId)]);
  const firstStart = new Map<string, string>();
  for (const e of data.executions) if (!firstStart.has(e.runId) || e.startedAt < firstStart.get(e.runId)!) firstStart.set(e.runId, e.startedAt);
  const groups = new Map<string, RunGroup>();
  const ordered = [...runIds]
    .map((runId) => {
      const ctx = runContexts.find((c) => c.name === runId);
      const p = (ctx?.properties ?? {}) as { pipeline?: string; startedAt?: string };
      return { runId, pipeline: p.pipeline ?? '', startedAt: p.startedAt ?? firstStart.get(runId) ?? '' };
    })
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
  const group = (g: { runId: string; pipeline: string; startedAt: string }) => {
    const seq = groups.size + 1;
    const run: RunGroup = {
      ...g,
      seq,
      line: { a: [], x: [], c: [], e: [], s: [], t: [] },
      contexts: new Map(),
      next: { artifact: seq * ID_STRIDE + 1, execution: seq * ID_STRIDE + 1, context: seq * ID_STRIDE + 1 },
    };
    groups.set(g.runId, run);
    return run;
  };
  for (const g of ordered) group(g);
  const localContext = (run: RunGroup, oldId: number): number => {
    let copy = run.contexts.get(oldId);
    if (!copy) {
      const old = contextById.get(oldId);
      copy = { ...(old ?? { type: 'pipeline', name: `context-${oldId}`, properties: {} }), id: run.next.context++, properties: { ...(old?.properties ?? {}) } };
      run.contexts.set(oldId, copy);
      run.line.c.push(copy);
    }
    return copy.id;
  };

  // Executions into their run; artifacts into the run of the execution that first output them.
  const executionIds = new Map<number, number>();
  const executionRun = new Map<number, RunGroup>();
  for (const e of data.executions) {
    const run = groups.get(e.runId)!;
    const id = run.next.execution++;
    executionIds.set(e.id, id);
    executionRun.set(e.id, run);
  }
  const artifactRun = new Map<number, RunGroup>();
  for (const ev of data.events) {
    if (ev.type === 'OUTPUT' && !artifactRun.has(ev.artifactId) && executionRun.has(ev.executionId)) artifactRun.set(ev.artifactId, executionRun.get(ev.executionId)!);
  }
  for (const ev of data.events) if (!artifactRun.has(ev.artifactId) && executionRun.has(ev.executionId)) artifactRun.set(ev.artifactId, executionRun.get(ev.executionId)!);
  let orphans: RunGroup | undefined;
  const artifactIds = new Map<number, number>();
  for (const a of data.artifacts) {
    let run = artifactRun.get(a.id);
    if (!run) {
      orphans ??= group({ runId: 'migrated-unattached-artifacts', pipeline: '', startedAt: '' });
      run = orphans;
      artifactRun.set(a.id, run);
    }
    artifactIds.set(a.id, run.next.artifact++);
  }
  for (const a of data.artifacts) artifactRun.get(a.id)!.line.a.push({ ...a, id: artifactIds.get(a.id)! } as ArtifactRecord);
  for (const e of data.executions) {
    const copy: ExecutionRecord = { ...e, id: executionIds.get(e.id)! };
    if (e.cachedFrom !== undefined) copy.cachedFrom = executionIds.get(e.cachedFrom) ?? e.cachedFrom;
    executionRun.get(e.id)!.line.x.push(copy);
  }
  for (const ev of data.events) {
    const run = executionRun.get(ev.executionId);
    if (run) run.line.e.push({ ...ev, executionId: executionIds.get(ev.executionId)!, artifactId: artifactIds.get(ev.artifactId) ?? ev.artifactId });
  }
  for (const s of data.associations) {
    const run = executionRun.get(s.executionId);
    if (run) run.line.s.push({ executionId: executionIds.get(s.executionId)!, contextId: localContext(run, s.contextId) });
  }
  for (const t of data.attributions) {
    const run = artifactRun.get(t.artifactId);
    if (run) run.line.t.push({ artifactId: artifactIds.get(t.artifactId)!, contextId: localContext(run, t.contextId) });
  }
  // Run contexts (with runs that had no execution), pointing at their run's copy of the pipeline context.
  for (const c of runContexts) {
    const run = groups.get(c.name)!;
    localContext(run, c.id);
    const copy = run.contexts.get(c.id)!;
    const pipelineCtx = data.contexts.find((x) => x.type === 'pipeline' && x.name === run.pipeline);
    if (pipelineCtx) copy.properties.pipelineContextId = localContext(run, pipelineCtx.id);
  }

  mkdirSync(layout.dir, { recursive: true });
  const cache = new Map<string, number[]>();
  for (const run of groups.values()) {
    const header: RunHeader = { format: STORE_FORMAT, runId: run.runId, seq: run.seq, pipeline: run.pipeline, createdAt: run.startedAt };
    const file = layout.journal(run.seq);
    mkdirSync(dirname(file), { recursive: true });
    const line = Object.fromEntries(Object.entries(run.line).filter(([, v]) => v.length));
    writeFileSync(file, `${JSON.stringify(header)}\n${JSON.stringify(line)}\n`);
    writeText(layout.runIdFile(run.runId), String(run.seq));
    writeText(layout.pipelineRunMarker(run.pipeline, run.seq), '');
    for (const type of new Set(run.line.a.filter((a) => a.state === 'LIVE').map((a) => a.type))) writeText(layout.typeRunMarker(run.pipeline, type, run.seq), '');
    for (const e of run.line.x) if (e.state === 'COMPLETE' && e.cacheKey) cache.set(e.cacheKey, [e.id, ...(cache.get(e.cacheKey) ?? [])].slice(0, 8));
    const state = run.line.c.find((c) => c.type === 'pipeline_run')?.properties.state;
    const live = (x: unknown) => x === 'RUNNING' || x === 'WAITING';
    if (live(state) || run.line.x.some((e) => live(e.state))) writeText(layout.openMarker(run.seq), '');
  }
  for (const [key, executions] of cache) writeText(layout.cacheFile(key), JSON.stringify({ executions }));
  writeFileSync(layout.counterFile, JSON.stringify({ next: groups.size + 1 }));
  writeFileSync(layout.formatFile, JSON.stringify({ format: STORE_FORMAT, migratedAt: new Date().toISOString() }));
}

function writeText(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
