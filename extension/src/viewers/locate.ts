import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * An artifact lives at <root>/<node>/<output>/<execution>/: the store is the nearest `metadata/`
 * folder above (or a first-format `metadata.json` not migrated yet).
 */
export function metadataFileAbove(path: string): string | undefined {
  let dir = path;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'metadata', 'format.json'))) return join(dir, 'metadata');
    const candidate = join(dir, 'metadata.json');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
