/**
 * Measurement at a raised CPU priority, where the system allows it (root, or CAP_SYS_NICE): this
 * thread's nice value — inherited by the server processes it starts — and, under Linux's
 * autogroup scheduling (where the processes of each session share the CPU as one group whatever
 * their nice values), this session's group. The candidate then gets a core when it asks for one,
 * as on a machine of its own, instead of a share among every busy process. Undone afterwards.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export const MEASURE_NICE = -10;

export interface Raised {
  /** What was raised: `thread` (nice), `session` (autogroup nice); empty where not permitted. */
  raised: string[];
  nice: number;
  restore(): void;
}

const AUTOGROUP = '/proc/self/autogroup';

function autogroupNice(): number | undefined {
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
  const group = autogroupNice();
  if (group !== undefined && nice < group) {
    try {
      writeFileSync(AUTOGROUP, String(nice));
      raised.push('session');
      undo.push(() => writeFileSync(AUTOGROUP, String(group)));
    } catch {
      // not permitted
    }
  }
  return {
    raised,
    nice,
    restore() {
      for (const u of undo.reverse()) {
        try {
          u();
        } catch {
          // lowering one's own priority again is always permitted; nothing to do if not
        }
      }
    },
  };
}
