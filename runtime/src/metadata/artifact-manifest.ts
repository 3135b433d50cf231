/**
 * What an artifact holds, file by file: the basis of its fingerprint (so downstream cache keys
 * follow content, not the key of the execution that made it) and of the cheap check that a cached
 * output is still what was published.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

import type { ManifestEntry } from '../core/metadata-types.ts';
import { canonicalJson, sha256 } from '../core/hash.ts';

export type { ManifestEntry };

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every file below `uri` (hidden ones too: all of it is content), relative and sorted. */
function listFiles(uri: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(full); // files and links alike: stat below follows links
    }
  };
  walk(uri);
  return out.map((f) => relative(uri, f).split(sep).join('/')).sort();
}

/**
 * The content fingerprint: names, sizes and hashes of the files, nothing about time or place;
 * volatile parts (VOLATILE_CONTENT) left out.
 */
function manifestFingerprint(files: ManifestEntry[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    if (f.volatile) continue;
    if (f.contentSha256) h.update(`${f.path}\0json\0${f.contentSha256}\n`);
    else h.update(`${f.path}\0${f.size}\0${f.sha256}\n`);
  }
  return `content:${h.digest('hex')}`;
}

/** The hash of a JSON file without some top-level keys (undefined when it is not a JSON object). */
function jsonHashWithout(file: string, keys: string[]): string | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const kept = Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));
    return sha256(canonicalJson(kept));
  } catch {
    return undefined;
  }
}

/**
 * Reads and hashes every file of a published artifact (once, when it is published). `volatile`:
 * the artifact type's VOLATILE_CONTENT, kept in the manifest but out of the fingerprint.
 */
export async function buildManifest(uri: string, volatile: readonly string[] = []): Promise<{ fingerprint: string; files: ManifestEntry[] }> {
  const folders = volatile.filter((v) => v.endsWith('/'));
  const jsonKeys = new Map<string, string[]>();
  for (const v of volatile) {
    const [file, key] = v.split('#');
    if (key) jsonKeys.set(file, [...(jsonKeys.get(file) ?? []), key]);
  }
  const files: ManifestEntry[] = [];
  for (const path of listFiles(uri)) {
    const full = join(uri, path);
    const before = statSync(full);
    const entry: ManifestEntry = { path, size: before.size, mtimeMs: before.mtimeMs, sha256: await hashFile(full) };
    if (folders.some((f) => path.startsWith(f))) entry.volatile = true;
    const keys = jsonKeys.get(path);
    const content = keys && jsonHashWithout(full, keys);
    if (content) entry.contentSha256 = content;
    files.push(entry);
  }
  return { fingerprint: manifestFingerprint(files), files };
}

/**
 * True when the artifact's folder still holds exactly the files of its manifest: same names and
 * sizes, and for a file whose mtime moved, the same content hash (a touch is not an edit). An
 * output edited by hand, half deleted or grown a file fails, so the cache does not reuse it.
 */
export async function verifyManifest(uri: string, files: ManifestEntry[]): Promise<boolean> {
  let present: string[];
  try {
    present = listFiles(uri);
  } catch {
    return false;
  }
  if (present.length !== files.length || present.some((p, i) => p !== files[i].path)) return false;
  for (const f of files) {
    const full = join(uri, f.path);
    let st;
    try {
      st = statSync(full);
    } catch {
      return false;
    }
    if (st.size !== f.size) return false;
    if (st.mtimeMs !== f.mtimeMs && (await hashFile(full)) !== f.sha256) return false;
  }
  return true;
}
