import type { ExampleAnomaliesFile } from '../../formats/anomalies.ts';
import { listInfos } from './anomaly-reasons.ts';

export interface AnomalyCounts {
  anomalyCount: number;
  errorCount: number;
  warningCount: number;
}

export function countAnomalies(file: ExampleAnomaliesFile): AnomalyCounts {
  const counts = { anomalyCount: 0, errorCount: 0, warningCount: 0 };
  for (const anomalies of Object.values(file.splits)) {
    for (const { info } of listInfos(anomalies)) {
      counts.anomalyCount++;
      if (info.severity === 'ERROR') counts.errorCount++;
      else if (info.severity === 'WARNING') counts.warningCount++;
    }
  }
  return counts;
}

/** Readable lines, one per anomaly, grouped by split; `onlyErrors` for a failure message. */
export function summarize(file: ExampleAnomaliesFile, options: { onlyErrors?: boolean; maxPerSplit?: number } = {}): string[] {
  const max = options.maxPerSplit ?? 50;
  const lines: string[] = [];
  for (const [split, anomalies] of Object.entries(file.splits)) {
    const infos = listInfos(anomalies).filter(({ info }) => !options.onlyErrors || info.severity === 'ERROR');
    if (!infos.length) {
      if (!options.onlyErrors) lines.push(`Split "${split}": no anomalies`);
      continue;
    }
    const errors = infos.filter(({ info }) => info.severity === 'ERROR').length;
    lines.push(`Split "${split}": ${infos.length} anomalies (${errors} errors, ${infos.length - errors} warnings)`);
    for (const { feature, info } of infos.slice(0, max)) {
      const what = feature === '' ? '(dataset)' : feature;
      lines.push(`  ${info.severity.padEnd(7)} ${what}: ${info.shortDescription}. ${info.description}`);
    }
    if (infos.length > max) lines.push(`  ... and ${infos.length - max} more`);
  }
  return lines;
}
