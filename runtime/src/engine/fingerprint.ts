import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { TObject } from '@sinclair/typebox';
import { expandInput } from '../util/paths.ts';
import type { SpanRange } from '../util/spans.ts';
import { canonicalJson, sha256 } from '../core/hash.ts';

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Content hashes of input files, remembered by stat identity, the way git's index avoids rehashing
 * unchanged files: an entry is reused while the file's path, size, mtime, ctime and inode are all
 * unchanged. Hashing a 136 MB CSV costs ~100 ms of CPU and ~400 ms of wall time at the start of every
 * run (competing with the workers' start-up), for an input that rarely changes.
 *
 * Trade-off (as in git): an edit that keeps size, mtime, ctime and inode is not noticed. ctime
 * cannot be set by user tools, so that takes a clock change or a file system that lies. "Racily
 * clean" files — mtime within MEMO_RACE_MS of being hashed, so a later same-size edit on a file
 * system with coarse timestamps could keep both times — are not remembered and are hashed again.
 *
 * The memo is per user ($XDG_CACHE_HOME/tributary, else ~/.cache/tributary), so it outlives
 * pipeline roots; TRIBUTARY_FILE_HASH_MEMO names another file, or `off` disables it.
 */
interface MemoEntry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
  usedAt: number;
}

const MEMO_RACE_MS = 2000;
const MEMO_MAX_ENTRIES = 2000;

export function fileHashMemoPath(): string | null {
  const env = process.env.TRIBUTARY_FILE_HASH_MEMO;
  if (env === 'off') return null;
  if (env) return env;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tributary', 'file-hashes.json');
}

function readMemo(path: string): Record<string, MemoEntry> {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8'));
    return data && typeof data === 'object' && !Array.isArray(data) ? data : {};
  } catch {
    return {}; // missing or damaged: start afresh
  }
}

function writeMemo(path: string, memo: Record<string, MemoEntry>): void {
  const entries = Object.entries(memo).sort((a, b) => b[1].usedAt - a[1].usedAt).slice(0, MEMO_MAX_ENTRIES);
  try {
    mkdirSync(dirname(path), { recursive: true });
    // Written aside and renamed: a concurrent run sees the old or the new memo, never half of one.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(entries)));
    renameSync(tmp, path);
  } catch {
    // A read-only cache dir only costs the rehash next time.
  }
}

const sameStat = (e: MemoEntry | undefined, st: Stats): e is MemoEntry =>
  !!e && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs && e.ino === st.ino;

/** Content hash of every file a path parameter names (names relative to the pattern, sizes, bytes). */
export async function hashPathParam(pattern: string, baseDir: string, options: { spanRange?: SpanRange } = {}): Promise<string> {
  const h = createHash('sha256');
  const files = expandInput(pattern, baseDir, options);
  const memoPath = fileHashMemoPath();
  const memo = memoPath ? readMemo(memoPath) : {};
  for (const f of files) {
    const before = statSync(f);
    let digest: string;
    const known = memo[f];
    if (sameStat(known, before)) {
      digest = known.sha256;
      known.usedAt = Date.now();
    } else {
      const startedAt = Date.now();
      digest = await hashFile(f);
      const after = statSync(f);
      const racy = startedAt - after.mtimeMs < MEMO_RACE_MS;
      if (memoPath && !racy && sameStat({ ...after, sha256: digest, usedAt: 0 }, before)) {
        memo[f] = { size: after.size, mtimeMs: after.mtimeMs, ctimeMs: after.ctimeMs, ino: after.ino, sha256: digest, usedAt: Date.now() };
      }
    }
    h.update(`${relative(baseDir, f)}\0${before.size}\0${digest}\0`);
  }
  // Written even when nothing new was hashed: usedAt keeps the entries in use from being evicted.
  if (memoPath && files.length > 0) writeMemo(memoPath, memo);
  return `${files.length}:${h.digest('hex')}`;
}

/**
 * The span range that goes with a path parameter: its schema's `'x-span-range'` names the sibling
 * parameter holding it (CsvExampleGen's input → span_range), so the engine hashes the same spans
 * the executor ingests without knowing the component.
 */
export function spanRangeFor(schema: TObject, name: string, params: Record<string, unknown>): SpanRange | undefined {
  const sibling = (schema.properties[name] as { 'x-span-range'?: string })['x-span-range'];
  const value = sibling ? params[sibling] : undefined;
  return value && typeof value === 'object' ? (value as SpanRange) : undefined;
}

/** Parameter names whose schema marks them as files/modules: their content joins the cache key. */
export function pathParams(schema: TObject): string[] {
  return Object.entries(schema.properties)
    .filter(([, s]) => (s as any)['x-path'] || (s as any)['x-module'])
    .map(([name]) => name);
}

export interface CacheKeyParts {
  component: string;
  version: string;
  params: Record<string, unknown>;
  /** Input name → upstream artifact fingerprint. */
  inputs: Record<string, string>;
  /** Path parameter → content hash. */
  files: Record<string, string>;
  /** A custom component's module content hash. */
  module?: string;
  /**
   * Resolved input name → `id:fingerprint` of what the component's resolver picked from the store,
   * "" for nothing; absent for components without a resolver (their keys stay as they were).
   */
  resolved?: Record<string, string>;
}

/** The cache key's view of resolved inputs: which artifact exactly (its id names it in outputs). */
export function resolvedKeyParts(resolved: Record<string, { id: number; fingerprint: string } | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(resolved).map(([name, a]) => [name, a ? `${a.id}:${a.fingerprint}` : '']));
}

export function cacheKey(parts: CacheKeyParts): string {
  return sha256(canonicalJson(parts));
}
