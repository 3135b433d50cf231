/**
 * The model registry on disk, shared by the Pusher (writer) and the server (reader):
 *
 *   <registry>/<model>/<version>/          a serving bundle (bundle.json, model.json, weights.bin, transform/)
 *   <registry>/<model>/index.json          { "labels": { "stable": 3, "canary": 4 } }
 *
 * Versions are positive integers, never overwritten. A version folder appears only complete: the
 * Pusher copies into a dot-named temp folder and renames it, and readers skip dot-names.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';

/** How a model's requests are split between versions (see traffic.ts). */
export interface TrafficConfig {
  weights: Record<string, number>;
  key_header?: string;
  key_field?: string;
}

export const INDEX_FILE = 'index.json';

export interface RegistryIndex {
  labels: Record<string, number>;
  /** Provenance of each version (written by the Pusher). */
  versions?: Record<string, { pushedAt: string; modelUri: string; modelId?: number }>;
  /** A/B split of unversioned predicts (traffic.ts); kept as is by every writer. */
  traffic?: TrafficConfig;
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) throw new UserError(`Invalid model name "${name}": use letters, digits, '_', '.', '-'`, { field: 'model_name' });
  return name;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

export function listModels(registry: string): string[] {
  if (!isDir(registry)) return [];
  return readdirSync(registry)
    .filter((m) => MODEL_NAME.test(m) && isDir(join(registry, m)))
    .sort();
}

/** Complete versions of a model, ascending. */
export function listVersions(registry: string, model: string): number[] {
  const dir = join(registry, model);
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((v) => /^[1-9][0-9]*$/.test(v) && existsSync(join(dir, v, 'bundle.json')))
    .map(Number)
    .sort((a, b) => a - b);
}

export function readIndex(registry: string, model: string): RegistryIndex {
  const file = join(registry, model, INDEX_FILE);
  if (!existsSync(file)) return { labels: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<RegistryIndex>;
    return { ...parsed, labels: parsed.labels ?? {}, versions: parsed.versions };
  } catch (e) {
    throw new UserError(`Cannot read the registry index ${file}: ${(e as Error).message}`, { file });
  }
}

/** Atomic: temp file + rename, so a reader never sees half an index. */
export function writeIndex(registry: string, model: string, index: RegistryIndex): void {
  const file = join(registry, model, INDEX_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(index, null, 2));
  renameSync(tmp, file);
}

/** Raw feature names a bundle accepts in requests (from its bundle.json). */
export function readBundleFeatures(bundle: string): string[] {
  const file = join(bundle, 'bundle.json');
  if (!existsSync(file)) throw new UserError(`Not a serving bundle: ${file} is missing`, { file });
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as { rawFeatures?: { name: string }[] };
    return (info.rawFeatures ?? []).map((f) => f.name);
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`, { file });
  }
}
