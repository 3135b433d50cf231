// Bundles everything with esbuild:
// - runtime: the CLI, the pool's worker entry and the public API (ESM; npm packages stay external,
//   the runtime runs beside node_modules), plus every bench/*.ts script;
// - extension: the host bundle, its lazily loaded parts (language client, canvas, viewers, the New
//   Pipeline template writer) and the
//   language server (CommonJS, as VS Code loads them; all inlined but `vscode`), and the in-editor
//   test suite (test/editor/);
// - webview: each webview/src/<app>/main.tsx becomes dist/webview/<app>.js (+ .css) for the browser.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: production ? false : 'linked', logLevel: 'warning', minify: production };
const benches = existsSync('bench') ? readdirSync('bench').filter((f) => f.endsWith('.ts')) : [];

// Large CommonJS packages are require()d, not import()ed: Node runs its CommonJS export lexer over
// every file an ES module imports from CommonJS (tfjs's multi-megabyte bundles included), which
// cost each pool worker and each model server about half a CPU-second before its first row. A
// one-line CommonJS module per package lets esbuild call the banner's require() instead.
const requireCommonJs = {
  name: 'require-commonjs-packages',
  setup(b) {
    const packages = /^(@tensorflow\/tfjs(-backend-wasm)?|protobufjs|long)$/;
    b.onResolve({ filter: packages }, (args) => (args.namespace === 'require-cjs' ? { path: args.path, external: true } : { path: args.path, namespace: 'require-cjs' }));
    b.onLoad({ filter: /.*/, namespace: 'require-cjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const runtimeBuild = await build({
  ...common,
  metafile: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  entryPoints: {
    'runtime/cli': 'runtime/src/cli/main.ts',
    'runtime/index': 'runtime/src/index.ts',
    'runtime/pool-worker': 'runtime/src/engine/pool-worker.ts',
    // `tributary serve` without the rest of the CLI: a model server process starts faster.
    'runtime/serve': 'runtime/src/serving/serve-main.ts',
    ...Object.fromEntries(benches.map((f) => [`bench/${f.replace(/\.ts$/, '')}`, `bench/${f}`])),
  },
  outdir: 'dist',
  // Code splitting keeps lazy imports lazy: without it esbuild inlines every component's executor
  // and hoists their npm imports (tfjs, arrow, esbuild...) into the entry, so even `--help` or a
  // fully cached run loaded tfjs. Shared chunks sit beside the entries in dist/runtime, so
  // import.meta.url-relative paths (pool-worker.js, serve.js, index.js) hold from any chunk.
  splitting: true,
  chunkNames: 'runtime/[name]-[hash]',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [requireCommonJs],
});
// piscina's entry in the bundle: a CommonJS shim that import()s pool-worker.js (see the file for why).
copyFileSync('runtime/src/engine/pool-worker.cjs', 'dist/runtime/pool-worker.cjs');
// The .proto subsets of TFX's formats (runtime/src/formats/tfx-proto.ts), beside the bundles that load them.
const protos = readdirSync('runtime/src/formats/proto').filter((f) => f.endsWith('.proto'));
for (const dir of ['dist/runtime/proto', 'dist/extension/proto']) {
  mkdirSync(dir, { recursive: true });
  for (const f of protos) copyFileSync(join('runtime/src/formats/proto', f), join(dir, f));
}
pruneStale('dist/runtime', runtimeBuild.metafile, ['dist/runtime/pool-worker.cjs', 'dist/runtime/proto']);

// The host is split into bundles loaded with require() on first use (extension/src/lazy.ts):
// VS Code counts loading the main file as activation time, and esbuild cannot split CommonJS.
const hostEntries = {
  'extension/extension': 'extension/src/extension.ts',
  'extension/language-client': 'extension/src/language/client.ts',
  'extension/canvas': 'extension/src/canvas/provider.ts',
  'extension/viewers': 'extension/src/viewers/index.ts',
  'extension/models': 'extension/src/serving/models-view.ts',
  'extension/write-template': 'extension/src/write-template.ts',
  ...(existsSync('extension/src/language/server.ts') ? { 'extension/server': 'extension/src/language/server.ts' } : {}),
};
// The host reads the built-in components' specs (runtime/src/components/index.ts) but never runs
// them: their lazy imports (executors, fan-outs, pool tasks) stay out of the host bundles instead
// of inlining tfjs, arrow and esbuild. Should one be called in the host, it fails by name.
const componentsLazyImports = {
  name: 'no-component-executors-in-host',
  setup(b) {
    const listed = /runtime[\\/]src[\\/]components[\\/][^\\/]+[\\/]index\.ts$/;
    b.onResolve({ filter: /^\.\// }, (args) =>
      args.kind === 'dynamic-import' && listed.test(args.importer) ? { path: join(args.importer, '..', args.path), namespace: 'not-in-host' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'not-in-host' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${relative('.', args.path)} does not load in the VS Code host`)});`,
      loader: 'js',
    }));
  },
};
await build({
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  entryPoints: hostEntries,
  plugins: [componentsLazyImports],
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  external: ['vscode', 'esbuild'],
  // Runtime code inlined here (component specs bring their lazy executors) reads import.meta; in
  // CommonJS that is this bundle file.
  define: { 'import.meta.url': '__tributaryImportMetaUrl', 'import.meta.resolve': '__tributaryImportMetaResolve' },
  banner: {
    js: "const __tributaryImportMetaUrl = require('node:url').pathToFileURL(__filename).href; const __tributaryImportMetaResolve = (s) => require('node:url').pathToFileURL(require.resolve(s)).href;",
  },
});

// The in-editor test suite (run inside VS Code's extension host): the mocha runner and each
// test/editor/*.editor.ts beside it; mocha stays external (loaded from node_modules at test time).
// Not in a production (packaging) build.
const editorSuites = !production && existsSync('test/editor/index.ts') ? readdirSync('test/editor').filter((f) => f.endsWith('.editor.ts')) : [];
if (editorSuites.length) {
  await build({
    ...common,
    sourcemap: 'inline',
    minify: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    entryPoints: {
      'test/editor/index': 'test/editor/index.ts',
      ...Object.fromEntries(editorSuites.map((f) => [`test/editor/${f.replace(/\.ts$/, '')}`, `test/editor/${f}`])),
    },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    external: ['vscode', 'mocha'],
  });
}

const apps = existsSync('webview/src')
  ? readdirSync('webview/src', { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(`webview/src/${d.name}/main.tsx`))
  : [];
if (apps.length) {
  const webviewBuild = await build({
    ...common,
    metafile: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    jsx: 'automatic',
    entryPoints: Object.fromEntries(apps.map((d) => [`webview/${d.name}`, `webview/src/${d.name}/main.tsx`])),
    outdir: 'dist',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file' },
    // Fonts (codicons) beside the apps: webviews may only load from dist/webview (localResourceRoots).
    assetNames: 'webview/[name]-[hash]',
    define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
  });
  pruneStale('dist/webview', webviewBuild.metafile);
}

/**
 * Deletes files in `dir` this build did not write: code-split chunks and hashed assets get new
 * names when their content changes, and the old ones would otherwise pile up (and be packaged).
 */
function pruneStale(dir, metafile, keep = []) {
  const written = new Set([...Object.keys(metafile.outputs), ...keep].map((f) => relative('.', f)));
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (!written.has(relative('.', file))) rmSync(file, { recursive: true, force: true });
  }
}
