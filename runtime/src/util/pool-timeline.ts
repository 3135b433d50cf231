import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

/**
 * Debug timeline (TRIBUTARY_TIMELINE=1): one stderr line per mark, `timeline <epoch ms> t<thread> <label>`.
 * Epoch times, so marks of the main thread and of the pool workers line up on one axis.
 */
const TIMELINE = process.env.TRIBUTARY_TIMELINE === '1';

export function timelineEnabled(): boolean {
  return TIMELINE;
}

export function timelineMark(label: string): void {
  if (!TIMELINE) return;
  process.stderr.write(`timeline ${(performance.timeOrigin + performance.now()).toFixed(1)} t${threadId} ${label}${threadId === 0 ? ` (main cpu ${mainThreadCpuMs()} ms)` : ''}\n`);
}

/** CPU time of the main thread so far (Linux: its /proc stat line; utime + stime in clock ticks of 10 ms). */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}
