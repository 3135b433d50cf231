/**
 * The one compiler of user code (custom components, preprocessing_fn, run_fn, tuner_fn): esbuild
 * bundles a module file into a content-addressed .mjs with an inline source map, so errors name the
 * user's file and line and stack traces point at their own .ts lines.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Message, type Metafile, type Plugin } from 'esbuild';
import { UserError } from '../core/errors.ts';
import { sha256, verifiedFile } from '../core/hash.ts';
import { findWorkspaceRoot, isInside, realPathOf } from '../util/paths.ts';

export interface CompiledModule {
  /** Absolute path of the written .mjs. */
  path: string;
  /** sha256 of the compiled code: changes whenever the module or anything it bundles changes. */
  hash: string;
  /** The user's source file. */
  source: string;
}

/**
 * The running runtime's public entry, which `import ... from 'tributary'` in a user module means:
 * runtime/src/index.ts from source, dist/runtime/index.js beside the bundled CLI (or bench).
 */
function runtimeEntry(): string {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return fileURLToPath(new URL('../index.ts', here));
  const candidates = ['./index.js', '../runtime/index.js'].map((p) => fileURLToPath(new URL(p, here)));
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}

/**
 * Imports a compiled module keeps external: the runtime's own tfjs (a second copy would be a
 * second tfjs with no backend) and `tributary` itself, resolved to the running runtime so value
 * imports (`oneHot`) work wherever the module lives. Every other npm package is bundled in: the
 * compiled module (e.g. the transform graph's module.mjs inside a pushed model) then loads from
 * any folder, with no node_modules above it.
 */
const runtimeImports = (): Plugin => ({
  name: 'tributary-runtime-imports',
  setup(b) {
    b.onResolve({ filter: /^tributary$/ }, () => ({ path: pathToFileURL(runtimeEntry()).href, external: true }));
    // tfjs is require()d, through a one-line CommonJS module (as the runtime's own bundle does): an
    // ES import of a CommonJS package runs Node's export lexer over it, and tfjs's bundles are
    // megabytes, about half a CPU-second in every worker that loads the module (each training
    // replica), whose optimizing compile then ran on V8's helper threads beside the training.
    b.onResolve({ filter: /^@tensorflow\// }, (args) => (args.namespace === 'tributary-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'tributary-require' }));
    b.onLoad({ filter: /.*/, namespace: 'tributary-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
});

// Bundled CommonJS packages call require(); ESM output has none of its own.
const REQUIRE_BANNER = "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url);";

export interface CompileTarget {
  outFile?: string;
  outDir?: string;
  /**
   * 'bundle' (default): npm packages are bundled in, but for tfjs and `tributary` (see
   * runtimeImports), so the file loads from any folder. 'external': every npm import stays an
   * import, resolved beside the module (custom components, loaded where their workspace is).
   */
  packages?: 'bundle' | 'external';
  /**
   * The folder the module and every local file it imports must lie in, as real paths (symlinks
   * followed). Default: the nearest folder above the module holding .git or package.json.
   */
  workspaceRoot?: string;
}

/**
 * The source map's root, relative to the folder the compiled file is written to: stack traces
 * still resolve to the user's real file, and no absolute path (which would make the same pipeline
 * give different artifacts in two folders) ends up inside an artifact.
 */
function relativeSourceRoot(source: string, target: CompileTarget): string {
  const outFolder = target.outFile ? dirname(resolve(target.outFile)) : resolve(target.outDir ?? dirname(source));
  const rel = relative(outFolder, dirname(source)).split(sep).join('/');
  return rel ? `${rel}/` : './';
}

/**
 * Every local file the bundle took in (the module and what it imports, npm packages aside) must be
 * inside the workspace as a real path: a `../../` or a symlink must not pull outside code into a
 * compiled module. The error names the import and the file that makes it.
 */
function assertImportsInside(source: string, metafile: Metafile, workspaceRoot: string): void {
  const base = dirname(source);
  for (const input of Object.keys(metafile.inputs)) {
    if (/(^|[\\/])node_modules[\\/]/.test(input)) continue;
    const file = resolve(base, input);
    if (isInside(workspaceRoot, file)) continue;
    const where = `resolves to ${realPathOf(file)}, outside the workspace ${realPathOf(workspaceRoot)}`;
    if (file === source) throw new UserError(`Module file ${source} ${where}`, { file: source });
    const importer = Object.entries(metafile.inputs).find(([, m]) => m.imports.some((i) => i.path === input));
    const original = importer?.[1].imports.find((i) => i.path === input)?.original ?? input;
    const from = importer ? resolve(base, importer[0]) : source;
    const line = readFileSync(from, 'utf8').split('\n').findIndex((l) => l.includes(original)) + 1;
    throw new UserError(`${from}${line ? `:${line}` : ''}: import "${original}" ${where}`, { file: from, ...(line ? { line } : {}) });
  }
}

/**
 * Compiles `file` (.ts/.js) into `outFile`, or into `<outDir>/<hash16>.mjs` when `outFile` is not
 * given. The source map's root is the module's folder, so stack traces name the user's real file.
 */
export async function compileUserModule(file: string, target: CompileTarget): Promise<CompiledModule> {
  const source = resolve(file);
  if (!existsSync(source)) throw new UserError(`Module file not found: ${file}`, { file });
  let result;
  try {
    result = await build({
      entryPoints: [source],
      absWorkingDir: dirname(source),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      ...(target.packages === 'external' ? { packages: 'external' as const } : { plugins: [runtimeImports()], banner: { js: REQUIRE_BANNER } }),
      sourcemap: 'inline',
      sourceRoot: relativeSourceRoot(source, target),
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } catch (e) {
    const first: Message | undefined = (e as { errors?: Message[] }).errors?.[0];
    if (first?.location) {
      const at = resolve(dirname(source), first.location.file);
      throw new UserError(first.text, { file: at, line: first.location.line, column: first.location.column + 1 });
    }
    throw new UserError(`Cannot compile ${file}: ${(e as Error).message}`, { file });
  }
  assertImportsInside(source, result.metafile, target.workspaceRoot ?? findWorkspaceRoot(dirname(source)));
  const code = result.outputFiles[0].text;
  const hash = sha256(code);
  const path = target.outFile ?? join(target.outDir ?? dirname(source), `${hash.slice(0, 16)}.mjs`);
  mkdirSync(dirname(path), { recursive: true });
  // A content-addressed file is reused only when it holds exactly this code (never run unchecked).
  if (target.outFile || !verifiedFile(path, hash)) {
    const tmp = `${path}.${process.pid}.${threadId}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, path);
  }
  return { path, hash, source };
}
