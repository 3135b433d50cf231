/**
 * Where a training worker's time goes: wall-clock milliseconds by phase, summed over the run, and
 * the CPU time of its own thread over the whole training span. Wall time moves with the machine's
 * load; CPU time barely does, so the two together tell a slow step from a starved one, and
 * examples per CPU-second compare 1 worker with N on a busy machine. Kept always: a few clock
 * reads per step.
 *
 * CPU time is not split by phase: Linux adds a running thread's CPU time to what schedstat shows
 * only at a tick or a context switch, so a phase that sleeps (the barrier) would be charged the
 * CPU of the phases before it. Over a whole training the lag is one tick.
 */
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { threadCpuMs } from '../../util/thread-cpu.ts';

/** The phases of a training step; `compute` is what is left of the training span (forward, backward, tfjs). */
export const PHASES = ['input', 'flatten', 'wait', 'reduce', 'unflatten', 'apply', 'epochEnd'] as const;
export type Phase = (typeof PHASES)[number];

type Phases = Record<Phase | 'compute', number>;

export interface StepProfile {
  steps: number;
  /** First batch asked for → last batch done. */
  trainMs: number;
  /** Wall ms by phase, and `compute`: trainMs minus the others. */
  phases: Phases;
  /** This thread's CPU time over the training span (absent where the OS does not say). */
  cpuMs?: number;
  /** This thread's id (Linux), to find it in another replica's `threadsCpuMs`. */
  tid?: number;
  /** Wall ms this thread stood still for its isolate's garbage collections during the span. */
  gcMs?: number;
  /**
   * CPU ms of every thread of the process over this thread's span, by thread id (Linux, to the
   * scheduler's 10 ms tick): the replicas, the main thread, and V8's and libuv's helper threads
   * (parallel and concurrent GC, optimizing compiles), which take cores from the replicas when
   * there are no spare ones.
   */
  threadsCpuMs?: Record<string, number>;
  /**
   * Per epoch of the span: steps, this thread's CPU ms and the whole process's CPU ms (all its
   * threads). The first epoch carries the isolate's warm-up (optimizing compiles of the hot code
   * on V8's helper threads); later ones show the steady state.
   */
  epochs?: { steps: number; cpuMs?: number; processCpuMs: number; wallMs?: number; waitMs?: number }[];
}

/**
 * CPU time of the thread that created it, in ms: Linux's /proc/thread-self/schedstat (its first
 * field is the nanoseconds run), read with one pread on a descriptor kept open. Undefined elsewhere.
 */
export class ThreadClock {
  private fd?: number;
  private readonly buf = Buffer.alloc(64);

  constructor() {
    try {
      this.fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      this.fd = undefined;
    }
  }

  now(): number | undefined {
    if (this.fd === undefined) return undefined;
    const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    const text = this.buf.toString('latin1', 0, n);
    return Number(text.slice(0, text.indexOf(' '))) / 1e6;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function ownTid(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

const zeros = (): Record<Phase, number> => Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;

export class StepTimer {
  private readonly wall = zeros();
  private readonly clock = new ThreadClock();
  private readonly hasClock = this.clock.now() !== undefined;
  private steps = 0;
  private start?: number;
  private end = 0;
  private cpuStart = 0;
  private cpuEnd = 0;
  private threadsStart?: Map<number, number>;
  private threadsEnd?: Map<number, number>;
  private gcMs = 0;
  private gc?: PerformanceObserver;
  private ended?: number;
  private readonly epochMarks: { steps: number; cpuMs?: number; processCpuMs: number; at: number; waitMs: number }[] = [];

  /** Adds a span measured elsewhere (the wait inside an exchange). */
  add(phase: Phase, ms: number): void {
    this.wall[phase] += ms;
  }

  /** Runs `fn`, adding its wall time to `phase`. */
  time<T>(phase: Phase, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.wall[phase] += performance.now() - t0;
    }
  }

  /** The training span starts before the first batch is made. */
  begin(): void {
    if (this.start !== undefined) return;
    this.threadsStart = threadCpuMs();
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (this.start !== undefined && e.startTime >= this.start && (this.ended === undefined || e.startTime <= this.ended)) this.gcMs += e.duration;
    });
    this.gc.observe({ entryTypes: ['gc'] });
    this.cpuStart = this.clock.now() ?? 0;
    this.start = performance.now();
    this.markEpoch();
  }

  /** An epoch ended (and at begin): steps so far, this thread's and the process's CPU. */
  markEpoch(): void {
    const usage = process.cpuUsage();
    this.epochMarks.push({ steps: this.steps, cpuMs: this.clock.now(), processCpuMs: (usage.user + usage.system) / 1000, at: performance.now(), waitMs: this.wall.wait });
  }

  /** The training span ends (fit's onTrainEnd): the other threads' CPU is read here. */
  finish(): void {
    this.ended = performance.now();
    this.threadsEnd = threadCpuMs();
  }

  step(): void {
    this.steps++;
    this.end = performance.now();
    this.cpuEnd = this.clock.now() ?? 0;
  }

  result(): StepProfile {
    const round = (x: number) => Math.round(x * 10) / 10;
    const trainMs = this.start === undefined ? 0 : this.end - this.start;
    const measured = PHASES.reduce((n, p) => n + this.wall[p], 0);
    const phases = Object.fromEntries([...PHASES.map((p) => [p, round(this.wall[p])]), ['compute', round(Math.max(0, trainMs - measured))]]) as Phases;
    const profile: StepProfile = { steps: this.steps, trainMs: round(trainMs), phases };
    if (this.hasClock && this.start !== undefined) profile.cpuMs = round(this.cpuEnd - this.cpuStart);
    const tid = ownTid();
    if (tid !== undefined) profile.tid = tid;
    if (this.gc) profile.gcMs = round(this.gcMs);
    if (this.epochMarks.length > 1) {
      profile.epochs = this.epochMarks.slice(1).map((m, i) => {
        const prev = this.epochMarks[i];
        return { steps: m.steps - prev.steps, cpuMs: m.cpuMs !== undefined && prev.cpuMs !== undefined ? round(m.cpuMs - prev.cpuMs) : undefined, processCpuMs: round(m.processCpuMs - prev.processCpuMs), wallMs: round(m.at - prev.at), waitMs: round(m.waitMs - prev.waitMs) };
      });
    }
    if (this.threadsStart && this.threadsEnd) {
      const before = this.threadsStart;
      profile.threadsCpuMs = Object.fromEntries([...this.threadsEnd].map(([t, ms]) => [String(t), round(ms - (before.get(t) ?? 0))]));
    }
    return profile;
  }

  close(): void {
    this.gc?.disconnect();
    this.clock.close();
  }
}
