/**
 * What an artifact holds, file by file: the basis of its fingerprint (so downstream cache keys
 * follow content, not the key of the execution that made it) and of the cheap check that a cached
 * output is still what was published.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

import type { ManifestEntry } from '../core/metadata-types.ts';

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

/** The content fingerprint: names, sizes and hashes of the files, nothing about time or place. */
export function manifestFingerprint(files: ManifestEntry[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}\0${f.size}\0${f.sha256}\n`);
  return `content:${h.digest('hex')}`;
}

/** Reads and hashes every file of a published artifact (once, when it is published). */
export async function buildManifest(uri: string): Promise<{ fingerprint: string; files: ManifestEntry[] }> {
  const files: ManifestEntry[] = [];
  for (const path of listFiles(uri)) {
    const full = join(uri, path);
    const before = statSync(full);
    const sha256 = await hashFile(full);
    files.push({ path, size: before.size, mtimeMs: before.mtimeMs, sha256 });
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
