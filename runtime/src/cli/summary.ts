import type { RunSummary } from '../engine/scheduler.ts';
import { describeCpu } from '../util/thread-cpu.ts';

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
    case 'TransformGraph':
      return p.outputFeatures !== undefined ? `${p.analyzers} analyzers, ${p.outputFeatures} features${p.label ? `, label ${p.label}` : ''}` : undefined;
    case 'HyperParameters':
      return p.hyperparameters
        ? `best of ${p.trials} trials (${p.objective?.metric} ${num(p.objective?.value)}): ${JSON.stringify(p.hyperparameters)}`
        : undefined;
    case 'Model': {
      if (!p.backend) return undefined;
      const m = (p.metrics ?? {}) as Record<string, number>;
      const shown = ['eval_acc', 'eval_accuracy', 'eval_loss'].filter((k) => k in m).map((k) => `${k} ${num(m[k])}`);
      return `${p.task ?? 'model'} on ${p.backend}, ${p.epochs} epochs, ${(p.trainExamples ?? 0).toLocaleString('en-US')} examples at ${(p.examplesPerSec ?? 0).toLocaleString('en-US')}/s${shown.length ? `; ${shown.join(', ')}` : ''}`;
    }
    case 'ModelEvaluation': {
      const o = p.overall as Record<string, number> | undefined;
      if (!o) return undefined;
      const keys: [string, string][] = [['accuracy', 'accuracy'], ['majority_baseline_accuracy', 'majority-class baseline'], ['auc', 'AUC'], ['auc_pr', 'AUC-PR'], ['log_loss', 'log loss'], ['calibration', 'calibration'], ['mse', 'MSE'], ['mae', 'MAE'], ['r2', 'R²']];
      const shown = keys.filter(([k]) => k in o).map(([k, label]) => `${label} ${num(o[k])}`);
      return `${p.task} on ${p.split} (${(o.example_count ?? 0).toLocaleString('en-US')} rows, ${p.slices} slices): ${shown.join(', ')}`;
    }
    case 'ModelBlessing':
      return p.blessed === undefined ? undefined : p.blessed ? `BLESSED: ${(p.passed ?? []).join('; ')}` : `NOT BLESSED: ${(p.failed ?? []).join('; ')}`;
    case 'InfraBlessing': {
      if (p.blessed === undefined) return undefined;
      const lat = p.latency_ms ? `, p50 ${p.latency_ms.p50} ms, p99 ${p.latency_ms.p99} ms` : '';
      const how = p.startup_ms !== undefined ? `server ready in ${p.startup_ms} ms${lat}` : '';
      return p.blessed ? `INFRA_BLESSED: ${how}` : `NOT infra-blessed: ${(p.failed ?? []).join('; ')}`;
    }
    case 'PushedModel':
      if (p.pushed === undefined) return undefined;
      return p.pushed ? `pushed ${p.modelName} version ${p.version}${p.labels?.length ? ` (${p.labels.join(', ')})` : ''} to ${p.path}` : `not pushed: ${p.reason}`;
    case 'InferenceResult':
      return p.rows !== undefined ? `${p.rows.toLocaleString('en-US')} rows scored (${p.task})` : undefined;
    default:
      return undefined;
  }
}

const num = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));

/** Extra lines under an artifact: the weakest slices of an evaluation. */
function detailLines(type: string, p: Props): string[] {
  if (type !== 'ModelEvaluation' || !Array.isArray(p.weakestSlices) || p.weakestSlices.length === 0) return [];
  return [
    '      weakest slices:',
    ...(p.weakestSlices as { name: string; example_count: number; accuracy: number; auc?: number }[]).map(
      (s) => `        ${s.name.padEnd(24)} accuracy ${num(s.accuracy)}${s.auc !== undefined ? `, AUC ${num(s.auc)}` : ''} (${s.example_count} rows)`,
    ),
  ];
}

/** Human summary of a run: states, times and what each node produced. */
export function summarize(s: RunSummary): string[] {
  const lines = ['', `run ${s.runId} ${s.state} in ${(s.wallMs / 1000).toFixed(2)} s (peak RSS ${s.peakRssMb} MB${s.cpu ? `, ${describeCpu(s.cpu)}` : ''})`];
  for (const n of s.nodes) {
    const t = n.durationMs !== undefined ? `${(n.durationMs / 1000).toFixed(2)} s` : '';
    lines.push(`  ${n.id.padEnd(22)} ${n.state.padEnd(9)} ${t.padStart(8)}`);
    for (const [name, o] of Object.entries(n.outputs ?? {})) {
      const what = describeArtifact(o.type, o.properties);
      lines.push(`    ${name} #${o.id}${what ? `: ${what}` : ''}`);
      lines.push(...detailLines(o.type, o.properties));
      lines.push(`      ${o.uri}`);
    }
  }
  return lines;
}
