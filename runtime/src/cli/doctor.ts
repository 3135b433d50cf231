/**
 * `tributary doctor`: what this machine gives Tributary, and what it does not and why — in one
 * place instead of scattered over run logs. The TensorFlow.js backends are probed with the
 * Trainer's own probes, in its order (ml/backend.ts); the first that loads is what `backend: auto`
 * picks.
 */
import { availableParallelism, cpus, freemem, totalmem } from 'node:os';
import { BACKEND_NAMES, BackendUnavailable, DEFAULT_PROBES, type BackendName } from '../ml/backend.ts';
import { defaultPoolSize } from '../engine/pool.ts';
import { threadCpuMs } from '../util/thread-cpu.ts';
import type { BackendCheck, DoctorReport } from './doctor-report.ts';

export { describeDoctor, type BackendCheck, type DoctorReport } from './doctor-report.ts';

/** Probes one backend; injectable for tests. */
export type BackendProber = (name: BackendName) => Promise<Omit<BackendCheck, 'name' | 'ms'>>;

/**
 * Runs the Trainer's own probe in this process. Unlike `auto`, it goes on after the first backend
 * that loads, to report on every one; the process ends after the report.
 */
export const probeHere: BackendProber = async (name) => {
  try {
    const device = await DEFAULT_PROBES[name]({ explicit: false });
    return { ok: true, installed: true, ...(device ? { device } : {}) };
  } catch (e) {
    const failure = { ok: false, reason: (e as Error).message, installed: !(e instanceof BackendUnavailable && !e.installed) };
    if (!failure.installed) return failure;
    // What auto passes over may still load when named (a software WebGPU adapter).
    try {
      const device = await DEFAULT_PROBES[name]({ explicit: true });
      return { ...failure, explicitOnly: true, ...(device ? { device } : {}) };
    } catch {
      return failure;
    }
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
    execPath: process.execPath,
    ...(process.versions.electron ? { electron: process.versions.electron } : {}),
    platform: `${process.platform} ${process.arch}`,
    cpu: { model: cpus()[0]?.model ?? 'unknown', cores: availableParallelism() },
    memory: { totalMb: Math.round(totalmem() / 2 ** 20), freeMb: Math.round(freemem() / 2 ** 20) },
    defaultWorkers: defaultPoolSize(),
    threadCpu: threadCpuMs() !== undefined,
    backends,
    autoBackend: backends.find((b) => b.ok)?.name,
  };
}
