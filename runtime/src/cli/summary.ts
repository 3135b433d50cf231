import type { RunSummary } from '../engine/scheduler.ts';

/** Human summary of a run: states, times and what each node produced. */
export function summarize(s: RunSummary): string[] {
  const lines = [``, `run ${s.runId} ${s.state} in ${(s.wallMs / 1000).toFixed(2)} s (peak RSS ${s.peakRssMb} MB)`];
  for (const n of s.nodes) {
    const t = n.durationMs !== undefined ? `${(n.durationMs / 1000).toFixed(2)} s` : '';
    lines.push(`  ${n.id.padEnd(22)} ${n.state.padEnd(9)} ${t.padStart(8)}`);
    for (const [name, o] of Object.entries(n.outputs ?? {})) {
      const summary = (o.properties as { summary?: string }).summary;
      lines.push(`    ${name} #${o.id}: ${o.uri}${summary ? `\n      ${summary}` : ''}`);
    }
  }
  return lines;
}
