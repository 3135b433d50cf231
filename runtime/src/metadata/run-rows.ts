/**
 * The runs in a store, oldest first. Apart from report.ts (whose lineage code needs the store's
 * record helpers) so the editor's Runs view can use it without loading the store itself.
 */
import type { CpuBreakdown } from '../util/thread-cpu.ts';
import type { ExecutionRecord, StoreData } from '../core/metadata-types.ts';

export interface RunRow {
  runId: string;
  pipeline: string;
  state: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** Peak RSS of the process that ran it, and its CPU by thread group (runs recorded since they were kept). */
  peakRssMb?: number;
  cpu?: CpuBreakdown;
  executions: ExecutionRecord[];
}

export function listRuns(data: StoreData): RunRow[] {
  return data.contexts
    .filter((c) => c.type === 'pipeline_run')
    .map((c) => {
      const p = c.properties as { pipeline?: string; state?: string; startedAt?: string; finishedAt?: string; peakRssMb?: number; cpu?: CpuBreakdown };
      return {
        runId: c.name,
        pipeline: p.pipeline ?? '',
        state: p.state ?? 'UNKNOWN',
        startedAt: p.startedAt ?? '',
        finishedAt: p.finishedAt,
        durationMs: p.finishedAt && p.startedAt ? Date.parse(p.finishedAt) - Date.parse(p.startedAt) : undefined,
        ...(p.peakRssMb !== undefined && { peakRssMb: p.peakRssMb }),
        ...(p.cpu && { cpu: p.cpu }),
        executions: data.executions.filter((e) => e.runId === c.name),
      };
    })
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
