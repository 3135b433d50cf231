/**
 * Where a run's CPU time went, by OS thread of this process: the main thread, the threads the run
 * started (the pool's workers, a Trainer's own worker), and the ones that were there before — V8's
 * background threads (optimizing compiles, GC helpers) and libuv's file-system threads. On a
 * 2-core machine that last share decides how far 2 workers can beat 1: a single worker gets it
 * from the idle core for free, two workers pay it on their own cores (see `speedupBound` in
 * bench/bench.ts). Linux only (/proc); elsewhere only the total.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface CpuBreakdown {
  /** All threads of the process over the run (getrusage), start-up before the run excluded. */
  totalMs: number;
  mainMs?: number;
  /**
   * Threads the run started: the pool's workers and any worker of a component's own (a Trainer's),
   * also those that ended before the run did. The rest of the total, since a thread that has
   * ended is gone from /proc with its time while getrusage still counts it.
   */
  workersMs?: number;
  /** Threads that existed before the run, other than the main thread (V8 platform, libuv). */
  backgroundMs?: number;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux this runs on

/** CPU milliseconds per thread id, or undefined where /proc is not there. */
export function threadCpuMs(): Map<number, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const cpu = new Map<number, number>();
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces or parentheses: state, ppid, …
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return cpu;
}

const totalCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Starts measuring; call before the run starts any thread of its own. */
export async function startCpuMeter(): Promise<{ stop(): CpuBreakdown }> {
  // libuv starts its file-system threads with the first asynchronous request: make sure that was
  // before this snapshot, or they would count as the run's.
  await stat('.');
  const total0 = totalCpuMs();
  const before = threadCpuMs();
  return {
    stop() {
      const totalMs = Math.round(totalCpuMs() - total0);
      const after = threadCpuMs();
      if (!before || !after) return { totalMs };
      let mainMs = 0;
      let backgroundMs = 0;
      for (const [tid, ms] of after) {
        if (!before.has(tid)) continue;
        const spent = ms - before.get(tid)!;
        if (tid === process.pid) mainMs += spent;
        else backgroundMs += spent;
      }
      return { totalMs, mainMs, workersMs: Math.max(0, totalMs - mainMs - backgroundMs), backgroundMs };
    },
  };
}

/** `CPU 2.85 s: workers 2.30, main 0.15, V8 background 0.40`: what --workers has to spread. */
export function describeCpu(cpu: CpuBreakdown): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  if (cpu.workersMs === undefined) return `CPU ${s(cpu.totalMs)} s`;
  return `CPU ${s(cpu.totalMs)} s: workers ${s(cpu.workersMs)}, main ${s(cpu.mainMs ?? 0)}, V8 background ${s(cpu.backgroundMs ?? 0)}`;
}
