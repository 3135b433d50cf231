/**
 * Reading the files inside artifacts for the over-time views (trends, experiments): each loader
 * returns undefined when a file is missing or damaged, so one deleted artifact never hides the rest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANOMALIES_FILE, type ExampleAnomaliesFile } from '../formats/anomalies.ts';
import { STATISTICS_FILE, type DatasetFeatureStatisticsList } from '../formats/statistics.ts';
import type { EpochMetrics, ExperimentLoaders } from './experiments.ts';
import type { TrendLoaders } from './trends.ts';

// Kept here rather than imported from the components, so reading history loads no executor code.
const EVALUATION_FILE = 'evaluation.json';
const TRAINING_LOG = join('logs', 'metrics.jsonl');

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export const fileTrendLoaders: TrendLoaders = {
  statistics: (uri) => readJson<DatasetFeatureStatisticsList>(join(uri, STATISTICS_FILE)),
  anomalies: (uri) => readJson<ExampleAnomaliesFile>(join(uri, ANOMALIES_FILE)),
};

/** Numeric fields of each JSON line (a torn last line, from a run still writing, is skipped). */
export function parseMetricsJsonl(text: string): EpochMetrics[] {
  const out: EpochMetrics[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    const numbers = Object.fromEntries(Object.entries(record).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
    out.push({ ...numbers, epoch: numbers.epoch ?? i });
  });
  return out;
}

export const fileExperimentLoaders: ExperimentLoaders = {
  trainingCurve(modelUri) {
    try {
      return parseMetricsJsonl(readFileSync(join(modelUri, TRAINING_LOG), 'utf8'));
    } catch {
      return undefined;
    }
  },
  evaluationMetrics(uri) {
    const evaluation = readJson<{ slices?: { slice?: Record<string, unknown>; name?: string; metrics?: Record<string, unknown> }[] }>(join(uri, EVALUATION_FILE));
    const overall = evaluation?.slices?.find((s) => s.name === 'Overall' || (s.slice && Object.keys(s.slice).length === 0)) ?? evaluation?.slices?.[0];
    if (!overall?.metrics) return undefined;
    return Object.fromEntries(Object.entries(overall.metrics).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
  },
};
