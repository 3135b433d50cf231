import type { RunSummary } from '../engine/scheduler.ts';

type Props = Record<string, any>;

/** One line describing an artifact from the properties its component recorded. */
export function describeArtifact(type: string, p: Props): string | undefined {
  switch (type) {
    case 'Examples': {
      const splits = Object.entries((p.splits ?? {}) as Record<string, { rows: number }>);
      const rows = splits.map(([s, i]) => `${s} ${i.rows.toLocaleString('en-US')}`).join(', ');
      const skipped = p.skippedRows ? `, ${p.skippedRows} bad rows skipped` : '';
      return `${(p.columns ?? []).length} columns; rows: ${rows}${skipped}`;
    }
    case 'ExampleStatistics':
      return p.numExamples ? `statistics for ${Object.keys(p.numExamples).join(', ')}` : undefined;
    case 'Schema':
      return p.features !== undefined ? `${p.features} features` : undefined;
    case 'ExampleAnomalies':
      return p.anomalyCount !== undefined
        ? `${p.anomalyCount} anomalies (${p.errorCount ?? 0} errors, ${p.warningCount ?? 0} warnings)`
        : undefined;
    default:
      return undefined;
  }
}

/** Human summary of a run: states, times and what each node produced. */
export function summarize(s: RunSummary): string[] {
  const lines = ['', `run ${s.runId} ${s.state} in ${(s.wallMs / 1000).toFixed(2)} s (peak RSS ${s.peakRssMb} MB)`];
  for (const n of s.nodes) {
    const t = n.durationMs !== undefined ? `${(n.durationMs / 1000).toFixed(2)} s` : '';
    lines.push(`  ${n.id.padEnd(22)} ${n.state.padEnd(9)} ${t.padStart(8)}`);
    for (const [name, o] of Object.entries(n.outputs ?? {})) {
      const what = describeArtifact(o.type, o.properties);
      lines.push(`    ${name} #${o.id}${what ? `: ${what}` : ''}`);
      lines.push(`      ${o.uri}`);
    }
  }
  return lines;
}
