/**
 * The Trainer's backend names and the log line that announces its choice, apart from backend.ts
 * (which loads tfjs) so the editor can read the line out of a run's log events cheaply.
 */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** The backends that run on a GPU (when webgpu has a real, non-fallback adapter). */
export const GPU_BACKENDS: readonly BackendName[] = ['tfjs-node-gpu', 'webgpu'];

/** `backend: webgpu (requested by the backend parameter; adapter: …)`: what selectBackend logs. */
export function backendChoiceLine(name: BackendName, how: string): string {
  return `backend: ${name} (${how})`;
}

/** The backend named by a backendChoiceLine, and what it said about how; undefined for any other line. */
export function parseBackendChoice(line: string): { name: BackendName; how: string } | undefined {
  const m = /^backend: (\S+) \((.*)\)$/s.exec(line);
  return m && (BACKEND_NAMES as readonly string[]).includes(m[1]) ? { name: m[1] as BackendName, how: m[2] } : undefined;
}
