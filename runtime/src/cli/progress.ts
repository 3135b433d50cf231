import type { RunEvent } from '../core/run-events.ts';
import { describeRate } from '../util/rate.ts';

const ICONS: Record<string, string> = {
  QUEUED: '·',
  RUNNING: '▶',
  COMPLETE: '✔',
  CACHED: '↺',
  FAILED: '✖',
  CANCELED: '■',
  SKIPPED: '-',
};

/** Prints run events as lines; progress at most once a second per node so logs stay readable. */
export function progressPrinter(write: (line: string) => void, verbose: boolean): (e: RunEvent) => void {
  const lastProgress = new Map<string, number>();
  return (e) => {
    switch (e.type) {
      case 'run-start':
        write(`run ${e.runId}: ${e.nodes.length} node(s)`);
        break;
      case 'node-state': {
        if (e.state === 'QUEUED') return;
        const time = e.durationMs !== undefined ? ` (${(e.durationMs / 1000).toFixed(2)} s)` : '';
        const why = e.reason ? ` — ${e.reason}` : e.error ? `\n    ${e.error.split('\n').join('\n    ')}` : '';
        write(`${ICONS[e.state] ?? ' '} ${e.nodeId} ${e.state.toLowerCase()}${time}${why}`);
        break;
      }
      case 'progress': {
        const now = Date.now();
        if (now - (lastProgress.get(e.nodeId) ?? 0) < 1000) return;
        lastProgress.set(e.nodeId, now);
        const total = e.total !== undefined ? `/${e.total.toLocaleString('en-US')}` : '';
        const rate = describeRate(e);
        write(`  ${e.nodeId}: ${e.done.toLocaleString('en-US')}${total} ${e.unit}${rate ? ` (${rate})` : ''}`);
        break;
      }
      case 'log':
        if (verbose || e.level !== 'info') write(`  ${e.nodeId} ${e.level}: ${e.message}`);
        break;
      case 'run-end':
        break;
    }
  };
}
