/**
 * `tributary doctor`: what this machine gives Tributary, and what it does not and why — in one
 * place instead of scattered over run logs. The TensorFlow.js backends are probed with the
 * Trainer's own probes, in its order (ml/backend.ts); the first that loads is what `backend: auto`
 * picks.
 */
import { availableParallelism, cpus, freemem, totalmem } from 'node:os';
import { BACKEND_NAMES, DEFAULT_PROBES, type BackendName } from '../ml/backend.ts';
import { defaultPoolSize } from '../engine/pool.ts';
import { threadCpuMs } from '../util/thread-cpu.ts';

export interface BackendCheck {
  name: BackendName;
  ok: boolean;
  /** Why it cannot be used (when not ok). */
  reason?: string;
  ms: number;
}

export interface DoctorReport {
  node: string;
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

/** Probes one backend; injectable for tests. */
export type BackendProber = (name: BackendName) => Promise<{ ok: boolean; reason?: string }>;

/**
 * Runs the Trainer's own probe in this process. Unlike `auto`, it goes on after the first backend
 * that loads, to report on every one; the process ends after the report.
 */
export const probeHere: BackendProber = async (name) => {
  try {
    await DEFAULT_PROBES[name]();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
};

export async function doctor(prober: BackendProber = probeHere): Promise<DoctorReport> {
  const backends: BackendCheck[] = [];
  for (const name of BACKEND_NAMES) {
    const t0 = performance.now();
    const r = await prober(name);
    backends.push({ name, ...r, ms: Math.round(performance.now() - t0) });
  }
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: { model: cpus()[0]?.model ?? 'unknown', cores: availableParallelism() },
    memory: { totalMb: Math.round(totalmem() / 2 ** 20), freeMb: Math.round(freemem() / 2 ** 20) },
    defaultWorkers: defaultPoolSize(),
    threadCpu: threadCpuMs() !== undefined,
    backends,
    autoBackend: backends.find((b) => b.ok)?.name,
  };
}

export function describeDoctor(r: DoctorReport): string[] {
  return [
    `Node ${r.node} on ${r.platform}; ${r.cpu.cores} cores (${r.cpu.model}); ${(r.memory.totalMb / 1024).toFixed(1)} GiB memory, ${(r.memory.freeMb / 1024).toFixed(1)} GiB free`,
    `runs use ${r.defaultWorkers} worker(s) by default (--workers N, or TRIBUTARY_WORKERS)`,
    `CPU per thread group in run summaries: ${r.threadCpu ? 'yes' : 'no (needs Linux /proc): totals only'}`,
    'TensorFlow.js backends, in the order the Trainer tries them:',
    ...r.backends.map((b) => `  ${b.ok ? '✔' : '✖'} ${b.name.padEnd(14)} ${b.ok ? 'loads' : b.reason} (${b.ms} ms)`),
    r.autoBackend ? `backend: auto picks ${r.autoBackend}` : 'no backend loads: the Trainer cannot run here',
  ];
}
