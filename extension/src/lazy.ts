import { createRequire } from 'node:module';

/**
 * Loads a sibling bundle (dist/extension/<name>.cjs) on first use. The host bundle holds only what
 * activation needs; the language client, the canvas and the viewers are separate bundles (see
 * scripts/build.mjs) because VS Code counts the time to load the main file as activation time.
 * `import.meta.url` is this bundle's own file in the CommonJS build.
 */
export function lazyBundle<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= createRequire(import.meta.url)(`./${name}.cjs`) as T);
}
