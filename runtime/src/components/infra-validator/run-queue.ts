/**
 * The time a server process tree lost to the machine's other work, from the scheduler's own
 * accounting (util/schedstat.ts): how long its threads were runnable but waiting for a core. Wall
 * time less that wait is the time the candidate needed with a core of its own: the neighbours'
 * share of the cores is taken out, while the candidate's own work, its sleeps and its I/O stay in
 * (a model that is slow for a reason of its own stays slow).
 *
 * Only main threads count (request parsing, the transform graph and a single-threaded predict all
 * run there). Waits of helper threads (V8's compiler and GC helpers, a source loader's hooks
 * thread) overlap the main thread's and are left in, so the estimate errs towards slow.
 */
import { readFileSync } from 'node:fs';
import { type SchedTimes, threadSchedTimes } from '../../util/schedstat.ts';

/** Main-thread counters of a server process and its descendants (cluster workers), and their CPU time. */
export interface TreeTimes {
  root: number;
  main: Map<number, SchedTimes>;
  /** CPU of every thread of every process in the tree (ms, 10 ms ticks). */
  cpuMs: number;
}

function processCpuMs(pid: number): number {
  try {
    // utime and stime (fields 14 and 15, clock ticks of 10 ms) after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function treeTimes(root: number): TreeTimes {
  const main = new Map<number, SchedTimes>();
  let cpuMs = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const t = threadSchedTimes(pid);
    if (!t) continue;
    main.set(pid, t);
    cpuMs += processCpuMs(pid);
    queue.push(...childrenOf(pid));
  }
  return { root, main, cpuMs };
}

/**
 * The time to the ready line that a tree started in the measured interval (every counter starts
 * at zero) needed of its own: wall time less the run-queue wait of the primary's main thread and
 * of the slowest-served worker it started (they start in parallel), and never less than the CPU
 * time the primary's main thread itself spent.
 */
export function ownTime(wallMs: number, tree: TreeTimes): number {
  let workers = 0;
  for (const [pid, t] of tree.main) if (pid !== tree.root) workers = Math.max(workers, t.waitMs);
  const primary = tree.main.get(tree.root);
  return Math.max(primary?.cpuMs ?? 0, wallMs - (primary?.waitMs ?? 0) - workers);
}
