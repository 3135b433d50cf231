import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** JSON with sorted keys, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** True when `file` holds exactly the content with this sha256 (what is about to be executed). */
export function verifiedFile(file: string, hash: string): boolean {
  try {
    return sha256(readFileSync(file, 'utf8')) === hash;
  } catch {
    return false;
  }
}
