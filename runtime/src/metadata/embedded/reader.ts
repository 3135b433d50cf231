/**
 * Reading the embedded store: each reader touches the runs it needs, found through the indexes
 * (a pipeline's runs newest first, its runs by artifact type, a run id's number, an id's run), and
 * gets them as one `StoreData` view, so the pure record functions work on it unchanged. No lock:
 * journals are only appended, and a line in progress is skipped.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { join } from 'node:path';
import type { ArtifactRecord, ContextRecord, ExecutionRecord, StoreData } from '../../core/metadata-types.ts';
import { emptyStore } from '../../core/metadata-types.ts';
import { readJournal, readTail, type RunRecords } from './journal.ts';
import { seqOfId, StoreLayout, storeDirOf } from './layout.ts';

/** How many runs a reader keeps parsed (a long-lived process must not grow with history). */
const KEEP_PARSED = 256;
/** How far back a node's newest execution is looked for (runs of the pipeline). */
export const NODE_LOOKBACK = 200;

/** Newest-first numbers of the markers under a bucketed folder, at most `limit`, below `before`. */
function newestSeqs(dir: string, limit: number, before = Infinity): number[] {
  if (!existsSync(dir)) return [];
  const out: number[] = [];
  for (const bucket of readdirSync(dir).sort().reverse()) {
    const names = readdirSync(join(dir, bucket))
      .map((n) => Number.parseInt(n, 10))
      .filter((n) => Number.isFinite(n) && n < before)
      .sort((a, b) => b - a);
    for (const seq of names) {
      out.push(seq);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export class MetadataReader {
  private readonly parsed = new Map<number, { records: RunRecords; size: number; mtimeMs: number; ino: number }>();

  constructor(readonly layout: StoreLayout) {}

  /** A run's records, or undefined when no such run exists. */
  run(seq: number): RunRecords | undefined {
    const file = this.layout.journal(seq);
    let size: number;
    let mtimeMs: number;
    let ino: number;
    try {
      ({ size, mtimeMs, ino } = statSync(file));
    } catch {
      return undefined;
    }
    const known = this.parsed.get(seq);
    if (known && known.ino !== ino) this.parsed.delete(seq); // compacted: rewritten whole
    else if (known && known.size === size && known.mtimeMs === mtimeMs) {
      this.parsed.delete(seq);
      this.parsed.set(seq, known); // most recently used last
      return known.records;
    }
    let records: RunRecords;
    if (known && known.ino === ino && size > known.size) {
      records = known.records;
      const tail = readTail(file, records.offset);
      records.replay(tail.text, file, 0);
      records.offset += tail.bytes;
    } else {
      records = readJournal(file);
    }
    this.parsed.delete(seq);
    this.parsed.set(seq, { records, size, mtimeMs, ino });
    if (this.parsed.size > KEEP_PARSED) this.parsed.delete(this.parsed.keys().next().value!);
    return records;
  }

  seqOf(runId: string): number | undefined {
    try {
      return Number(readFileSync(this.layout.runIdFile(runId), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Run numbers newest first: of one pipeline, or of the whole root. */
  runSeqs(options: { pipeline?: string; limit?: number; before?: number } = {}): number[] {
    const dir = options.pipeline === undefined ? this.layout.runsDir() : this.layout.pipelineRunsDir(options.pipeline);
    return newestSeqs(dir, options.limit ?? Infinity, options.before);
  }

  /** Runs still RUNNING or WAITING (or left so by a crash not recovered yet). */
  openSeqs(): number[] {
    const dir = this.layout.openDir();
    return existsSync(dir) ? readdirSync(dir).map((n) => Number.parseInt(n, 10)).filter(Number.isFinite) : [];
  }

  /** The pipeline's newest runs that published an artifact of `type`. */
  typeSeqs(pipeline: string, type: string, limit: number): number[] {
    return newestSeqs(this.layout.typeRunsDir(pipeline, type), limit);
  }

  /**
   * The newest run (of the pipeline, or of the root) with an execution of `nodeId`, among the
   * newest `lookback` runs: usually the first one read. No index by node: the bound keeps it cheap.
   */
  nodeSeq(pipeline: string | undefined, nodeId: string, lookback = NODE_LOOKBACK): number | undefined {
    for (const seq of this.runSeqs({ pipeline, limit: lookback })) {
      if (this.run(seq)?.data.executions.some((e) => e.nodeId === nodeId)) return seq;
    }
    return undefined;
  }

  /** The ids of the newest successful executions with this cache key, newest first. */
  cacheEntries(key: string): number[] {
    try {
      return (JSON.parse(readFileSync(this.layout.cacheFile(key), 'utf8')) as { executions: number[] }).executions;
    } catch {
      return [];
    }
  }

  /**
   * The given runs as one view, oldest first. With `imports`, records they refer to in other runs
   * come along: input and cached artifacts (with their pipeline attributions and producing
   * execution) and the executions cache hits reused.
   */
  view(seqs: Iterable<number>, imports = true): StoreData {
    const runs = [...new Set(seqs)].sort((a, b) => a - b).map((s) => this.run(s)).filter((r) => r !== undefined);
    const view = new ViewBuilder();
    for (const r of runs) view.addRun(r);
    if (imports) this.importReferenced(view);
    return view.data;
  }

  private importReferenced(view: ViewBuilder): void {
    const refs = referencedIds(view);
    view.addReferenced(refs, (seq) => this.run(seq));
  }

  /** The runs holding an artifact's lineage (its producer, that one's inputs, and so on), as a view. */
  lineageView(artifactId: number): StoreData {
    const loaded = new Set<number>();
    const queue = [artifactId];
    const seen = new Set<number>();
    while (queue.length) {
      const id = queue.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const seq = seqOfId(id);
      const run = this.run(seq);
      if (!run) continue;
      loaded.add(seq);
      queue.push(...lineageInputs(run, id));
    }
    return this.view(loaded);
  }

  /**
   * What a component's resolver or executor may look back at: this run, plus the pipeline's newest
   * runs (at most `window` of each) that published artifacts of the given types.
   */
  historyView(pipeline: string, runId: string | undefined, types: string[], window = 50): StoreData {
    const seqs = new Set<number>();
    const own = runId === undefined ? undefined : this.seqOf(runId);
    if (own !== undefined) seqs.add(own);
    for (const type of new Set(types)) for (const s of this.typeSeqs(pipeline, type, window)) seqs.add(s);
    return this.view(seqs);
  }

  /** Every run: O(history), for tests, export and tools, never on a run's path. */
  snapshot(): StoreData {
    return this.view(this.runSeqs(), false);
  }
}

/** Merges runs into one view; a context (pipeline, node) that each run keeps its own copy of becomes one. */
export class ViewBuilder {
  readonly data = emptyStore();
  private readonly contexts = new Map<string, ContextRecord>();
  private readonly ids = { artifact: new Set<number>(), execution: new Set<number>() };

  has(kind: 'artifact' | 'execution', id: number): boolean {
    return this.ids[kind].has(id);
  }

  /** Brings in the records of other runs that `refs` names (see `referencedIds`). */
  addReferenced(refs: { artifacts: number[]; executions: number[] }, run: (seq: number) => RunRecords | undefined): void {
    for (const id of refs.artifacts) {
      const from = run(seqOfId(id));
      const artifact = from?.data.artifacts.find((a) => a.id === id);
      if (from && artifact && !this.has('artifact', id)) this.importArtifact(from, artifact);
    }
    for (const id of refs.executions) {
      if (this.has('execution', id)) continue;
      const execution = run(seqOfId(id))?.data.executions.find((e) => e.id === id);
      if (execution) this.importExecution(execution);
    }
  }

  private context(c: ContextRecord): number {
    const key = `${c.type}\u0000${c.name}`;
    const known = this.contexts.get(key);
    if (known) {
      Object.assign(known.properties, c.properties);
      return known.id;
    }
    const copy = { ...c, properties: { ...c.properties } };
    this.contexts.set(key, copy);
    this.data.contexts.push(copy);
    return copy.id;
  }

  addRun(run: RunRecords): void {
    const remap = new Map<number, number>();
    for (const c of run.data.contexts) remap.set(c.id, this.context(c));
    for (const a of run.data.artifacts) if (!this.ids.artifact.has(a.id)) this.pushArtifact(a);
    for (const e of run.data.executions) if (!this.ids.execution.has(e.id)) this.importExecution(e);
    this.data.events.push(...run.data.events);
    for (const s of run.data.associations) this.data.associations.push({ ...s, contextId: remap.get(s.contextId) ?? s.contextId });
    for (const t of run.data.attributions) this.data.attributions.push({ ...t, contextId: remap.get(t.contextId) ?? t.contextId });
  }

  private pushArtifact(a: ArtifactRecord): void {
    this.ids.artifact.add(a.id);
    this.data.artifacts.push(a);
  }

  importExecution(e: ExecutionRecord): void {
    this.ids.execution.add(e.id);
    this.data.executions.push(e);
  }

  /** An artifact of another run, with its pipeline attributions and the execution that produced it. */
  importArtifact(run: RunRecords, artifact: ArtifactRecord): void {
    this.pushArtifact(artifact);
    for (const t of run.data.attributions) {
      if (t.artifactId !== artifact.id) continue;
      const c = run.data.contexts.find((x) => x.id === t.contextId);
      if (c?.type === 'pipeline') this.data.attributions.push({ ...t, contextId: this.context(c) });
    }
    const produced = run.data.events.find((e) => e.artifactId === artifact.id && e.type === 'OUTPUT');
    const producer = produced && run.data.executions.find((e) => e.id === produced.executionId);
    if (producer && produced) {
      this.data.events.unshift(produced); // the first OUTPUT event names the producer
      if (!this.ids.execution.has(producer.id)) this.importExecution(producer);
    }
  }
}

/**
 * Records a view refers to in other runs: input and cached artifacts, and the executions cache hits
 * reused. Their runs are what a reader loads next (`seqOfId`).
 */
export function referencedIds(view: ViewBuilder): { artifacts: number[]; executions: number[] } {
  const { data } = view;
  const artifacts = new Set(data.events.map((e) => e.artifactId).filter((id) => !view.has('artifact', id)));
  const executions = new Set(data.executions.map((e) => e.cachedFrom).filter((id): id is number => id !== undefined && !view.has('execution', id)));
  return { artifacts: [...artifacts], executions: [...executions] };
}

/** The artifacts an artifact was made from: the INPUT events of the execution that output it, in its run. */
export function lineageInputs(run: RunRecords, artifactId: number): number[] {
  const producer = run.data.events.find((e) => e.artifactId === artifactId && e.type === 'OUTPUT');
  if (!producer) return [];
  return run.data.events.filter((e) => e.executionId === producer.executionId && e.type === 'INPUT').map((e) => e.artifactId);
}

export interface StoreQuery {
  /** Only this pipeline's runs (a root may hold several pipelines). */
  pipeline?: string;
  /** Newest runs to include (default 50; 0: only what the other fields name, and the open runs). */
  limit?: number;
  /** These runs too. */
  runIds?: string[];
  /** This artifact, its run and its lineage too. */
  artifactId?: number;
  /** The artifact in this folder (`<root>/<node>/<output>/<execution id>`) and its run too. */
  artifactUri?: string;
  /** The newest run that ran this node (within `NODE_LOOKBACK` runs of the pipeline) too: the canvas inspector. */
  node?: string;
}

export const DEFAULT_VIEW_RUNS = 50;

/**
 * A read-only view for editors and tools: the pipeline's newest runs plus the runs still open and
 * whatever the query names, never the whole history. A root still in the first format (not
 * migrated until a run or the CLI opens it) is read as it is, filtered to the pipeline.
 * Undefined when the root has no store yet.
 */
export function readStoreView(path: string, query: StoreQuery = {}): StoreData | undefined {
  const dir = storeDirOf(path);
  const layout = new StoreLayout(dir);
  if (!existsSync(layout.formatFile)) {
    const legacy = `${dirname(dir)}/metadata.json`;
    if (!existsSync(legacy)) return undefined;
    const data = JSON.parse(readFileSync(legacy, 'utf8')) as StoreData;
    return query.pipeline === undefined ? data : pipelineSlice(data, query.pipeline);
  }
  const reader = new MetadataReader(layout);
  const limit = query.limit ?? DEFAULT_VIEW_RUNS;
  const seqs = new Set(limit > 0 ? reader.runSeqs({ pipeline: query.pipeline, limit }) : []);
  for (const s of reader.openSeqs()) if (query.pipeline === undefined || reader.run(s)?.header.pipeline === query.pipeline) seqs.add(s);
  const nodeSeq = query.node === undefined ? undefined : reader.nodeSeq(query.pipeline, query.node);
  if (nodeSeq !== undefined) seqs.add(nodeSeq);
  for (const id of query.runIds ?? []) {
    const s = reader.seqOf(id);
    if (s !== undefined) seqs.add(s);
  }
  const executionId = query.artifactUri === undefined ? NaN : Number(basename(query.artifactUri.replace(/\/+$/, '')));
  if (Number.isInteger(executionId)) seqs.add(seqOfId(executionId));
  if (query.artifactId === undefined) return reader.view(seqs);
  const lineage = reader.lineageView(query.artifactId);
  for (const e of lineage.executions) seqs.add(seqOfId(e.id));
  seqs.add(seqOfId(query.artifactId));
  return reader.view(seqs);
}

/**
 * The part of a whole-store snapshot that belongs to one pipeline: its runs, their executions and
 * events, and the artifacts those touch (two pipelines may share a root).
 */
export function pipelineSlice(data: StoreData, pipeline: string): StoreData {
  const runs = new Set(data.contexts.filter((c) => c.type === 'pipeline_run' && c.properties.pipeline === pipeline).map((c) => c.name));
  const executions = data.executions.filter((e) => runs.has(e.runId));
  const executionIds = new Set(executions.map((e) => e.id));
  const events = data.events.filter((e) => executionIds.has(e.executionId));
  const artifactIds = new Set(events.map((e) => e.artifactId));
  return {
    ...data,
    contexts: data.contexts.filter((c) => c.type !== 'pipeline_run' || runs.has(c.name)),
    executions,
    events,
    artifacts: data.artifacts.filter((a) => artifactIds.has(a.id)),
    associations: data.associations.filter((a) => executionIds.has(a.executionId)),
    attributions: data.attributions.filter((a) => artifactIds.has(a.artifactId)),
  };
}

/**
 * Something that changes whenever the store does (a run starts, an open one writes or finishes):
 * for pollers. The run counter's content and each open journal's size, not only modification
 * times, which a coarse file-system clock leaves equal for writes a few milliseconds apart.
 */
export function storeStamp(path: string): string {
  const layout = new StoreLayout(storeDirOf(path));
  const stat = (file: string) => {
    try {
      const { mtimeMs, size } = statSync(file);
      return `${mtimeMs}:${size}`;
    } catch {
      return '0';
    }
  };
  let counter = '';
  try {
    counter = readFileSync(layout.counterFile, 'utf8').replace(/\s+/g, '');
  } catch {
    // no run yet
  }
  const open = new MetadataReader(layout).openSeqs().sort((a, b) => a - b);
  return [counter, ...open.map((s) => `${s}:${stat(layout.journal(s))}`)].join(' ');
}
