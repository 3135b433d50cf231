import { existsSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { globSync } from 'tinyglobby';

const GLOB_CHARS = /[*?[{]/;
const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

/**
 * Every file under `dir` whose path relative to it matches `pattern` (posix glob), absolute and
 * sorted. The one walk of input folders: path parameters (what is hashed), CsvExampleGen (what
 * is read) and span patterns all come here, so `**` means the same everywhere. Hidden names
 * (`.x`, `_x`: _SUCCESS markers, editor temp files) are never data, at any depth.
 */
export function globFiles(dir: string, pattern: string): string[] {
  if (!existsSync(dir)) return [];
  return globSync(pattern, {
    cwd: dir,
    absolute: true,
    onlyFiles: true,
    dot: false,
    expandDirectories: false,
    ignore: ['**/_*', '**/_*/**'],
  })
    .map((f) => (sep === '/' ? f : f.split('/').join(sep)))
    .sort();
}

/** Splits an absolute pattern into its static folder and the glob after it (posix separators). */
export function splitGlob(absPattern: string): { dir: string; glob: string } {
  const parts = toPosix(absPattern).split('/');
  const first = parts.findIndex((p) => GLOB_CHARS.test(p));
  if (first < 0) return { dir: dirname(absPattern), glob: parts[parts.length - 1] };
  return { dir: parts.slice(0, first).join('/') || '/', glob: parts.slice(first).join('/') };
}

