import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { relative } from 'node:path';
import type { TObject } from '@sinclair/typebox';
import { expandInput } from '../util/paths.ts';

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

async function hashFile(file: string, into: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) into.update(chunk as Buffer);
}

/** Content hash of every file a path parameter names (names relative to the pattern, sizes, bytes). */
export async function hashPathParam(pattern: string, baseDir: string): Promise<string> {
  const h = createHash('sha256');
  const files = expandInput(pattern, baseDir);
  for (const f of files) {
    h.update(`${relative(baseDir, f)}\0${statSync(f).size}\0`);
    await hashFile(f, h);
  }
  return `${files.length}:${h.digest('hex')}`;
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
}

export function cacheKey(parts: CacheKeyParts): string {
  return sha256(canonicalJson(parts));
}
