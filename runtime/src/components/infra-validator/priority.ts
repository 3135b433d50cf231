/**
 * Measurement at a raised CPU priority, where the system allows it (root, or CAP_SYS_NICE): this
 * thread's nice value, which the server processes it starts inherit, and — under Linux's
 * autogroup scheduling, where the processes of each session share the CPU as one group whatever
 * their nice values — the group of the server's own session (started for it, so it ends with the
 * server) and, while measuring, the group of this process's session, where the timing thread
 * waits for the answers (given back afterwards and when this process exits; only a kill -9 in
 * between leaves it raised until that session ends). The candidate then gets a core when it asks
 * for one, as on a machine of its own, instead of a share among every busy process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export const MEASURE_NICE = -10;

export interface Raised {
  /** What was raised: `thread` (nice), `session` and `server session` (autogroup nice); empty where not permitted. */
  raised: string[];
  nice: number;
  /** Raises the group of the server's session (call once it runs). */
  raiseSession(pid: number): void;
  /** Gives this thread and this session their priority back. */
  restore(): void;
}

const AUTOGROUP = '/proc/self/autogroup';

function ownGroupNice(): number | undefined {
  try {
    const m = /nice\s+(-?\d+)/.exec(readFileSync(AUTOGROUP, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function raisePriority(nice = MEASURE_NICE): Raised {
  const raised: string[] = [];
  const undo: (() => void)[] = [];
  const thread = getPriority(0);
  try {
    if (nice < thread) {
      setPriority(0, nice);
      raised.push('thread');
      undo.push(() => setPriority(0, thread));
    }
  } catch {
    // EACCES: not permitted; measured at the usual priority
  }
  const group = ownGroupNice();
  if (group !== undefined && nice < group) {
    try {
      writeFileSync(AUTOGROUP, String(nice));
      raised.push('session');
      const back = () => writeFileSync(AUTOGROUP, String(group));
      process.once('exit', back);
      undo.push(() => {
        process.off('exit', back);
        back();
      });
    } catch {
      // not permitted
    }
  }
  return {
    raised,
    nice,
    raiseSession(pid) {
      try {
        writeFileSync(`/proc/${pid}/autogroup`, String(nice));
        raised.push('server session');
      } catch {
        // no autogroup scheduling, or not permitted
      }
    },
    restore() {
      for (const u of undo.splice(0).reverse()) {
        try {
          u();
        } catch {
          // lowering a priority again is always permitted
        }
      }
    },
  };
}
