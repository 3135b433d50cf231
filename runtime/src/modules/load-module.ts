import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Message } from 'esbuild';
import { UserError } from '../core/errors.ts';
import { sha256 } from '../core/hash.ts';

/**
 * Loads a user's module file (.ts or .js) directly: esbuild bundles it (npm packages stay
 * external) into a content-addressed .mjs with an inline source map, so errors and stack traces
 * point at the user's own lines.
 */
export async function loadUserModule(file: string, cacheDir: string): Promise<{ exports: Record<string, unknown>; hash: string }> {
  if (!existsSync(file)) throw new UserError(`Module file not found: ${file}`, { file });
  process.setSourceMapsEnabled(true);
  let result;
  try {
    result = await build({
      entryPoints: [file],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      write: false,
      logLevel: 'silent',
    });
  } catch (e) {
    const first: Message | undefined = (e as { errors?: Message[] }).errors?.[0];
    if (first?.location) {
      throw new UserError(first.text, { file: first.location.file, line: first.location.line, column: first.location.column + 1 });
    }
    throw new UserError(`Cannot compile ${file}: ${(e as Error).message}`, { file });
  }
  const code = result.outputFiles[0].text;
  const hash = sha256(code);
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `${hash.slice(0, 16)}.mjs`);
  if (!existsSync(out)) writeFileSync(out, code);
  return { exports: (await import(pathToFileURL(out).href)) as Record<string, unknown>, hash };
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
