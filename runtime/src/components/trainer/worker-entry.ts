/**
 * The file a dedicated training worker imports: the pool worker's dispatcher, which knows every
 * task by name. From source that is engine/pool-worker.ts (runInWorker's file bootstrap gets tsx's
 * loader); in the esbuild bundle this code lives in dist/runtime/*.js next to pool-worker.js.
 */
import { fileURLToPath } from 'node:url';

export function dispatcherPath(): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith('.ts') ? new URL('../../engine/pool-worker.ts', here) : new URL('./pool-worker.js', here));
}
