/**
 * `tributary doctor`'s report and its text, apart from the probing (doctor.ts loads tfjs) so the
 * editor can show reports it got from other runtimes as JSON.
 */
import type { BackendName } from '../ml/backend-names.ts';

export interface BackendCheck {
  name: BackendName;
  ok: boolean;
  /** Why it cannot be used (when not ok). */
  reason?: string;
  /** Its package is installed (false: missing, so nothing a runtime choice can fix). */
  installed: boolean;
  /** Not ok for `backend: auto`, but loads when named (WebGPU on a fallback adapter). */
  explicitOnly?: boolean;
  /** What the probe found (e.g. the WebGPU adapter). */
  device?: string;
  ms: number;
}

export interface DoctorReport {
  node: string;
  /** The executable that ran the report, and Electron's version when it is Electron run as Node (VS Code's own runtime). */
  execPath: string;
  electron?: string;
  platform: string;
  cpu: { model: string; cores: number };
  memory: { totalMb: number; freeMb: number };
  /** Workers a run uses by default (TRIBUTARY_WORKERS, else the core count). */
  defaultWorkers: number;
  /** Whether runs can split their CPU time by thread (/proc). */
  threadCpu: boolean;
  backends: BackendCheck[];
  /** What `backend: auto` picks: the first backend that loads. */
  autoBackend?: BackendName;
}

export function describeDoctor(r: DoctorReport): string[] {
  return [
    `Node ${r.node}${r.electron ? ` (Electron ${r.electron})` : ''} on ${r.platform}; ${r.cpu.cores} cores (${r.cpu.model}); ${(r.memory.totalMb / 1024).toFixed(1)} GiB memory, ${(r.memory.freeMb / 1024).toFixed(1)} GiB free`,
    `runs use ${r.defaultWorkers} worker(s) by default (--workers N, or TRIBUTARY_WORKERS)`,
    `CPU per thread group in run summaries: ${r.threadCpu ? 'yes' : 'no (needs Linux /proc): totals only'}`,
    'TensorFlow.js backends, in the order the Trainer tries them:',
    ...r.backends.map((b) => {
      const what = b.ok ? `loads${b.device ? ` (${b.device})` : ''}` : `${b.reason}${b.explicitOnly && !b.reason?.includes(`backend: ${b.name}`) ? `; loads when named (backend: ${b.name})` : ''}`;
      return `  ${b.ok ? '✔' : '✖'} ${b.name.padEnd(14)} ${what} (${b.ms} ms)`;
    }),
    r.autoBackend ? `backend: auto picks ${r.autoBackend}` : 'no backend loads: the Trainer cannot run here',
  ];
}
