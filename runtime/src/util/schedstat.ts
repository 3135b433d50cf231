/**
 * Linux's per-thread scheduler accounting (/proc/<pid>/task/<tid>/schedstat): nanoseconds on a
 * CPU and nanoseconds runnable but waiting for one. The wait is the time the machine's other work
 * took from a thread; a timing gate subtracts it to measure the candidate, not its neighbours.
 * Elsewhere (no /proc) the functions answer undefined.
 */
import { readFileSync } from 'node:fs';

export interface SchedTimes {
  cpuMs: number;
  waitMs: number;
}

/** One thread's counters (default: this process's main thread). */
export function threadSchedTimes(pid = process.pid, tid = pid): SchedTimes | undefined {
  try {
    const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(cpu) && Number.isFinite(wait) ? { cpuMs: cpu / 1e6, waitMs: wait / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A request header asking the model server for its main thread's counters when it starts
 * handling the request and when it answers; the answer's value is a JSON SchedReport.
 */
export const SCHED_HEADER = 'x-tributary-sched';

export interface SchedReport {
  pid: number;
  start: SchedTimes;
  end: SchedTimes;
}

export function parseSchedReport(value: string | null): SchedReport | undefined {
  try {
    const r = JSON.parse(value ?? '') as SchedReport;
    const ok = (m: SchedTimes | undefined) => !!m && Number.isFinite(m.cpuMs) && Number.isFinite(m.waitMs);
    return Number.isInteger(r.pid) && ok(r.start) && ok(r.end) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** True where this process can read its own scheduler accounting. */
export const runQueueAccounting = (): boolean => threadSchedTimes() !== undefined;
