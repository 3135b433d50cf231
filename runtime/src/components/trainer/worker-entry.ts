/**
 * The file a dedicated training worker imports: the pool worker's dispatcher, which knows every
 * task by name. In the esbuild bundle this code lives in dist/runtime/*.js next to
 * dist/runtime/pool-worker.js; from source, a small .mjs shim loads tsx first.
 */
import { fileURLToPath } from 'node:url';

export function dispatcherPath(): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith('.ts') ? new URL('./dispatch-from-source.mjs', here) : new URL('./pool-worker.js', here));
}
