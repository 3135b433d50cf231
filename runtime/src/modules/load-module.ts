import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { compileUserModule } from './compile-module.ts';
import { UserError } from '../core/errors.ts';
import { sha256 } from '../core/hash.ts';

/**
 * Loads a user's module file (.ts or .js) directly: compiled (npm packages stay external) into a
 * content-addressed .mjs in `cacheDir`, then imported.
 */
export async function loadUserModule(file: string, cacheDir: string, workspaceRoot: string): Promise<{ exports: Record<string, unknown>; hash: string }> {
  const { path, hash } = await compileUserModule(file, { outDir: cacheDir, packages: 'external', workspaceRoot });
  process.setSourceMapsEnabled(true);
  return { exports: (await import(pathToFileURL(path).href)) as Record<string, unknown>, hash };
}

/**
 * Content hash of a module file and every local file it imports (npm packages excluded), so that
 * editing a helper the module imports also invalidates the cache.
 */
export async function moduleSourceHash(file: string): Promise<string> {
  if (!existsSync(file)) throw new UserError(`Module file not found: ${file}`, { file });
  let inputs: string[];
  try {
    const result = await build({
      entryPoints: [file],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    inputs = Object.keys(result.metafile.inputs).sort();
  } catch {
    inputs = [file]; // a module that does not compile fails later with a located error; hash what we have
  }
  const parts = inputs.map((input) => `${input}\0${sha256(readFileSync(resolve(input), 'utf8'))}`);
  return `${inputs.length}:${sha256(parts.join('\n'))}`;
}
