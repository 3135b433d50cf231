// Bundles the runtime CLI, its worker entry and the public API with esbuild.
// npm packages stay external for the runtime (it runs beside node_modules); the
// extension host bundle (CommonJS, as VS Code loads it) inlines everything but `vscode`.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' };

await build({
  ...common,
  format: 'esm',
  packages: 'external',
  entryPoints: {
    'runtime/cli': 'runtime/src/cli/main.ts',
    'runtime/index': 'runtime/src/index.ts',
    'runtime/pool-worker': 'runtime/src/engine/pool-worker.ts',
    ...(existsSync('bench/bench.ts') ? { 'bench/bench': 'bench/bench.ts' } : {}),
  },
  outdir: 'dist',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

if (existsSync('extension/src/extension.ts')) {
  await build({
    ...common,
    format: 'cjs',
    entryPoints: { 'extension/extension': 'extension/src/extension.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    external: ['vscode'],
  });
}
