import { existsSync, statSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { hasSpanPlaceholder, resolveSpans, type SpanRange } from './spans.ts';

/**
 * Files named by a path parameter: one file, a folder's (non-hidden) files, or a glob; sorted.
 * A pattern with {SPAN} names the files of the selected spans only (see spans.ts), so that a new
 * span changes the cache key and an old span's files do not.
 */
export function expandInput(pattern: string, baseDir: string, options: { spanRange?: SpanRange } = {}): string[] {
  if (hasSpanPlaceholder(pattern)) return resolveSpans(pattern, baseDir, options.spanRange).files;
  const abs = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  if (isDynamicPattern(pattern)) {
    return globSync(pattern, { cwd: baseDir, absolute: true, onlyFiles: true }).sort();
  }
  let st;
  try {
    st = statSync(abs);
  } catch {
    return [];
  }
  if (st.isDirectory()) {
    return readdirSync(abs)
      .filter((f) => !f.startsWith('.'))
      .map((f) => join(abs, f))
      .filter((f) => statSync(f).isFile())
      .sort();
  }
  return [abs];
}

/** True when `target` (resolved against baseDir) lies inside `root`. Globs are checked by their static prefix. */
export function staysInside(root: string, baseDir: string, target: string): boolean {
  const staticPart = target.split(/[*?[{]/)[0];
  const rel = relative(resolve(root), resolve(baseDir, staticPart));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The nearest folder above `dir` holding .git or package.json: what pipeline paths may not escape. */
export function findWorkspaceRoot(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git')) || existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(dir);
  }
}

