/**
 * Which JavaScript runtime ran a run, kept on the run's record: a GPU backend loads in some
 * runtimes and not in others (tfjs-node-gpu is a native addon for Node's ABI, not Electron's), so
 * "why did this run train on wasm" starts here. The editor says why it picked the runtime through
 * TRIBUTARY_RUNTIME_CHOICE.
 */
export interface RunRuntime {
  /** Node's version (`v20.19.0`); inside Electron, the Node that Electron embeds. */
  node: string;
  execPath: string;
  /** Set when the runtime is Electron run as Node (VS Code's own). */
  electron?: string;
  /** Why the editor chose this runtime, when it did. */
  choice?: string;
}

export const RUNTIME_CHOICE_ENV = 'TRIBUTARY_RUNTIME_CHOICE';

export function currentRuntime(env: NodeJS.ProcessEnv = process.env): RunRuntime {
  const choice = env[RUNTIME_CHOICE_ENV]?.trim();
  return {
    node: process.version,
    execPath: process.execPath,
    ...(process.versions.electron ? { electron: process.versions.electron } : {}),
    ...(choice ? { choice } : {}),
  };
}

/** `Node v20.19.0 (/usr/bin/node)` or `VS Code's Electron 37.2.0 (Node v22.17.0)`, and the editor's reason. */
export function describeRuntime(r: RunRuntime): string {
  const what = r.electron ? `Electron ${r.electron} run as Node ${r.node} (${r.execPath})` : `Node ${r.node} (${r.execPath})`;
  return r.choice ? `${what}: ${r.choice}` : what;
}
