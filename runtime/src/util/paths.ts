import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { globFiles, splitGlob } from './glob-files.ts';
import { UserError } from '../core/errors.ts';
import { hasSpanPlaceholder, resolveSpans, type SpanRange } from './spans.ts';

const GLOB_CHARS = /[*?[{]/;

/**
 * Files named by a path parameter: one file, every (non-hidden) file below a folder at any depth,
 * or a glob; absolute and sorted. An empty value names no file. A pattern with {SPAN} names the
 * files of the selected spans only (see spans.ts), so that a new span changes the cache key and an
 * old span's files do not.
 */
export function expandInput(pattern: string, baseDir: string, options: { spanRange?: SpanRange } = {}): string[] {
  if (pattern === '') return [];
  if (hasSpanPlaceholder(pattern)) return resolveSpans(pattern, baseDir, options.spanRange).files;
  const abs = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  if (GLOB_CHARS.test(pattern)) {
    const { dir, glob } = splitGlob(abs);
    return globFiles(dir, glob);
  }
  let st;
  try {
    st = statSync(abs);
  } catch {
    return [];
  }
  return st.isDirectory() ? globFiles(abs, '**/*') : [abs];
}

/**
 * The real path of `p`, following symlinks; for a path that does not exist yet, the real path of
 * its nearest existing ancestor joined with the rest (what it would be once created).
 */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return abs;
      tail.push(head.slice(up.length).replace(/^[\\/]/, ''));
      head = up;
    }
  }
}

/** True when `target` lies inside `root`, both compared as real paths (symlinks followed). */
export function isInside(root: string, target: string): boolean {
  const rel = relative(realPathOf(root), realPathOf(target));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Throws a UserError naming the first file that resolves (through a symlink) outside the
 * workspace: a link inside a data folder must not smuggle /etc into the artifacts.
 */
export function assertFilesInside(workspaceRoot: string, files: string[], what: string): void {
  const root = realPathOf(workspaceRoot);
  for (const f of files) {
    const real = realPathOf(f);
    const rel = relative(root, real);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new UserError(`${what}: ${f} resolves to ${real}, outside the workspace ${root}`, { file: f });
    }
  }
}

/** The nearest folder above `dir` holding .git or package.json: what pipeline paths may not escape. */
export function findWorkspaceRoot(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git')) || existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(dir);
  }
}
