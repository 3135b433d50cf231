/**
 * The viewers' data shaping: pure functions from the artifact formats to what the tables and charts
 * draw. No React, no DOM: unit-tested under plain Node (test/webview/viewers-shape.test.ts).
 */
import type { Anomalies, ExampleAnomaliesFile, Severity } from '../runtime/src/formats/anomalies.ts';
import { type DatasetFeatureStatisticsList, featureSummary, type FeatureNameStatistics, type FeatureSummary } from '../runtime/src/formats/statistics.ts';
import { featureDrift } from '../runtime/src/components/example-validator/distances.ts';
import type { EpochLine, EvaluationSlice, RunSummary } from './viewer-payload.ts';

// ---------------------------------------------------------------------------------------------
// Statistics (Facets-style)

/** One feature in one split (shared with the runtime's data trends). */
export type SplitFeatureStats = FeatureSummary;

export interface FeatureRow {
  name: string;
  type: string;
  /** Per split name, in the file's split order; absent where a split lacks the feature. */
  splits: Record<string, SplitFeatureStats | undefined>;
  anomaly?: { severity: Severity; description: string; splits: string[] };
  /** Per split other than the baseline split: its drift from the baseline split (as the ExampleValidator measures it). */
  drift?: Record<string, FeatureDrift>;
}

export interface FeatureDrift {
  measure: 'L-infinity' | 'Jensen-Shannon';
  /** 0..1 */
  value: number;
  /** False when only top values were known: the distance is then a lower bound. */
  exact: boolean;
}

export interface StatisticsTable {
  splits: { name: string; numExamples: number }[];
  /** The split the others' drift is measured against. */
  baselineSplit?: string;
  numeric: FeatureRow[];
  categorical: FeatureRow[];
}

/** The split drift is measured against: `train` when there is one (TFDV's skew/drift convention), else the first. */
export function defaultBaselineSplit(splits: string[]): string | undefined {
  return splits.includes('train') ? 'train' : splits[0];
}

/** Worst severity first: ERROR > WARNING > UNKNOWN. */
const SEVERITY_RANK: Record<Severity, number> = { ERROR: 2, WARNING: 1, UNKNOWN: 0 };

/** One row per feature across splits; numeric and categorical apart, as Facets Overview shows them. */
export function statisticsTable(stats: DatasetFeatureStatisticsList, anomalies?: ExampleAnomaliesFile, baselineSplit = defaultBaselineSplit(stats.datasets.map((d) => d.name))): StatisticsTable {
  const splits = stats.datasets.map((d) => ({ name: d.name, numExamples: d.numExamples }));
  const rows = new Map<string, FeatureRow>();
  const baseline = new Map<string, FeatureNameStatistics>(stats.datasets.find((d) => d.name === baselineSplit)?.features.map((f) => [f.name, f]) ?? []);
  for (const dataset of stats.datasets) {
    for (const f of dataset.features) {
      let row = rows.get(f.name);
      if (!row) {
        row = { name: f.name, type: f.type, splits: Object.fromEntries(splits.map((s) => [s.name, undefined])) };
        rows.set(f.name, row);
      }
      row.splits[dataset.name] = featureSummary(f, dataset.numExamples);
      const base = baseline.get(f.name);
      const drift = dataset.name !== baselineSplit && base ? featureDrift(base, f) : undefined;
      if (drift) row.drift = { ...row.drift, [dataset.name]: drift };
    }
  }
  for (const [split, file] of Object.entries(anomalies?.splits ?? {})) {
    for (const [feature, info] of Object.entries(file.anomalyInfo)) {
      const row = rows.get(feature);
      if (!row) continue;
      if (!row.anomaly || SEVERITY_RANK[info.severity] > SEVERITY_RANK[row.anomaly.severity]) {
        row.anomaly = { severity: info.severity, description: info.description || info.shortDescription, splits: [...(row.anomaly?.splits ?? []), split] };
      } else if (!row.anomaly.splits.includes(split)) row.anomaly.splits.push(split);
    }
  }
  const all = [...rows.values()];
  const isNumeric = (r: FeatureRow) => r.type === 'INT' || r.type === 'FLOAT';
  return { splits, baselineSplit, numeric: all.filter(isNumeric), categorical: all.filter((r) => !isNumeric(r)) };
}

/** The largest drift of a feature over the compared splits (undefined: nothing to compare). */
export function maxDrift(row: FeatureRow): number | undefined {
  const values = Object.values(row.drift ?? {}).map((d) => d.value);
  return values.length ? Math.max(...values) : undefined;
}

/** Columns the statistics tables sort by; a split's value where the column is per split. */
export type FeatureColumn = 'attention' | 'name' | 'type' | 'drift' | 'count' | 'missing' | 'mean' | 'std' | 'zeros' | 'min' | 'median' | 'max' | 'unique' | 'top';

export interface FeatureSort {
  column: FeatureColumn;
  /** Whose numbers per-split columns sort by. */
  split?: string;
  descending: boolean;
}

/** Worst anomaly first, then the largest drift, then by name: what needs attention is on top. */
export const ATTENTION: FeatureSort = { column: 'attention', descending: true };

function columnValue(row: FeatureRow, sort: FeatureSort): number | string | undefined {
  const s = sort.split === undefined ? undefined : row.splits[sort.split];
  switch (sort.column) {
    case 'attention':
      return row.anomaly ? SEVERITY_RANK[row.anomaly.severity] + 1 : 0;
    case 'name':
      return row.name;
    case 'type':
      return row.type;
    case 'drift':
      return maxDrift(row);
    case 'missing':
      return s?.missingPct;
    case 'top':
      return s?.topValues?.[0] ? s.topValues[0].frequency / Math.max(1, s.count) : undefined;
    default:
      return s?.[sort.column];
  }
}

/** Rows sorted by any column; rows without a value sort last either way, ties by name. */
export function sortFeatureRows(rows: FeatureRow[], sort: FeatureSort = ATTENTION): FeatureRow[] {
  const byName = (a: FeatureRow, b: FeatureRow) => a.name.localeCompare(b.name);
  return [...rows].sort((a, b) => {
    const va = columnValue(a, sort);
    const vb = columnValue(b, sort);
    if (sort.column === 'attention') {
      const drift = (maxDrift(b) ?? -1) - (maxDrift(a) ?? -1);
      const c = (vb as number) - (va as number) || drift;
      return (sort.descending ? c : -c) || byName(a, b);
    }
    const missingA = va === undefined || (typeof va === 'number' && Number.isNaN(va));
    const missingB = vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
    if (missingA || missingB) return missingA === missingB ? byName(a, b) : missingA ? 1 : -1;
    const c = typeof va === 'string' || typeof vb === 'string' ? String(va).localeCompare(String(vb)) : (va as number) - (vb as number);
    return (sort.descending ? -c : c) || byName(a, b);
  });
}

// ---------------------------------------------------------------------------------------------
// Histograms (the statistics tables' charts)

export interface HistogramBar {
  low: number;
  high: number;
  count: number;
  /** 0..1 of the split's counted values. */
  share: number;
  /** share per unit of the value: splits with different bucket widths compare by area. */
  density: number;
  /** Where it is drawn: [low, high], widened for a zero-width bucket. */
  x0: number;
  x1: number;
}

export interface HistogramSeries {
  split: string;
  /** Index of the split in the file (its colour). */
  index: number;
  bars: HistogramBar[];
}

/**
 * Each split's own buckets (splits are bucketed apart, so their edges differ) as shares and
 * densities. A zero-width bucket (a constant feature) gets a narrow width so it still shows.
 */
export function histogramSeries(perSplit: { split: string; buckets: { lowValue: number; highValue: number; sampleCount: number }[] | undefined }[]): HistogramSeries[] {
  const edges = perSplit.flatMap((p) => (p.buckets ?? []).flatMap((b) => [b.lowValue, b.highValue])).filter(Number.isFinite);
  const span = edges.length ? Math.max(...edges) - Math.min(...edges) : 0;
  const out: HistogramSeries[] = [];
  perSplit.forEach((p, index) => {
    const buckets = (p.buckets ?? []).filter((b) => Number.isFinite(b.lowValue) && Number.isFinite(b.highValue));
    if (buckets.length === 0) return;
    const total = buckets.reduce((s, b) => s + b.sampleCount, 0) || 1;
    const bars = buckets.map((b) => {
      let { lowValue: low, highValue: high } = b;
      if (!(high > low)) {
        const half = (span > 0 ? span / 100 : Math.max(1, Math.abs(low)) * 0.01) / 2;
        low -= half;
        high += half;
      }
      const share = b.sampleCount / total;
      return { low: b.lowValue, high: b.highValue, count: b.sampleCount, share, density: share / (high - low), x0: low, x1: high };
    });
    out.push({ split: p.split, index, bars });
  });
  return out;
}

/** The bar of `series` drawn over `x` (a value on an edge belongs to the bar above it, the top edge to the last bar); -1 if none. */
export function barAt(series: HistogramSeries, x: number): number {
  const last = series.bars.length - 1;
  return series.bars.findIndex((b, i) => x >= b.x0 && (x < b.x1 || (i === last && x === b.x1)));
}

/** What hovering a bar says: the split, the bucket's range, its count and its share of the split. */
export function barLabel(split: string, bar: HistogramBar): string {
  const range = bar.high > bar.low ? `${formatNumber(bar.low)} to ${formatNumber(bar.high)}` : `= ${formatNumber(bar.low)}`;
  return `${split}: ${range}: ${formatNumber(bar.count)} (${(bar.share * 100).toFixed(1)} %)`;
}

// ---------------------------------------------------------------------------------------------
// Anomalies

export interface AnomalyRow {
  split: string;
  feature: string;
  severity: Severity;
  shortDescription: string;
  description: string;
  reasons: string[];
}

export function anomalyRows(file: ExampleAnomaliesFile): AnomalyRow[] {
  const out: AnomalyRow[] = [];
  for (const [split, a] of Object.entries(file.splits) as [string, Anomalies][]) {
    const entries = Object.entries(a.anomalyInfo);
    if (a.datasetAnomalyInfo) entries.push(['(dataset)', a.datasetAnomalyInfo]);
    for (const [feature, info] of entries) {
      out.push({ split, feature, severity: info.severity, shortDescription: info.shortDescription, description: info.description, reasons: info.reason.map((r) => r.type) });
    }
  }
  return out.sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || x.feature.localeCompare(y.feature) || x.split.localeCompare(y.split));
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Metric names in a stable, useful order: those of the overall slice first, example_count last. */
export function metricNames(slices: EvaluationSlice[]): string[] {
  const names: string[] = [];
  for (const s of slices) for (const k of Object.keys(s.metrics)) if (!names.includes(k)) names.push(k);
  return names.filter((n) => n !== 'example_count');
}

export type SortKey = { column: 'name' | 'example_count' | string; descending: boolean };

/** Sorted slices; missing (null) values sort last in either direction. The overall slice stays first. */
export function sortSlices(slices: EvaluationSlice[], key: SortKey): EvaluationSlice[] {
  const [overall, rest] = slices.length && Object.keys(slices[0].slice).length === 0 ? [slices[0], slices.slice(1)] : [undefined, slices];
  const value = (s: EvaluationSlice): number | string | null =>
    key.column === 'name' ? s.name : key.column === 'example_count' ? s.example_count : (s.metrics[key.column] ?? null);
  const sorted = [...rest].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || (typeof va === 'number' && Number.isNaN(va))) return vb === null ? 0 : 1;
    if (vb === null || (typeof vb === 'number' && Number.isNaN(vb))) return -1;
    const c = typeof va === 'string' || typeof vb === 'string' ? String(va).localeCompare(String(vb)) : va - vb;
    return key.descending ? -c : c;
  });
  return overall ? [overall, ...sorted] : sorted;
}

// ---------------------------------------------------------------------------------------------
// Training curves

export interface CurveSeries {
  metric: string;
  /** Indexed like `epochs`; null where an epoch lacks the value. */
  train: (number | null)[];
  validation?: (number | null)[];
}

/** Lines of metrics.jsonl → one chart per metric, train vs validation (Keras's `val_` prefix). */
export function parseMetricsJsonl(text: string): EpochLine[] {
  const out: EpochLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as EpochLine;
      if (typeof parsed.epoch === 'number') out.push(parsed);
    } catch {
      // A line being written while we read: skip it; the next refresh has it.
    }
  }
  return out;
}

export function curveSeries(lines: EpochLine[]): { epochs: number[]; series: CurveSeries[] } {
  const sorted = [...lines].sort((a, b) => a.epoch - b.epoch);
  const epochs = sorted.map((l) => l.epoch + 1);
  const metrics: string[] = [];
  for (const l of sorted) {
    for (const [k, v] of Object.entries(l)) {
      if (k === 'epoch' || typeof v !== 'number' || k.startsWith('val_')) continue;
      if (!metrics.includes(k)) metrics.push(k);
    }
  }
  // A validation-only metric still gets its chart.
  for (const l of sorted) for (const k of Object.keys(l)) if (k.startsWith('val_') && !metrics.includes(k.slice(4))) metrics.push(k.slice(4));
  const column = (k: string) => sorted.map((l) => (typeof l[k] === 'number' ? (l[k] as number) : null));
  return {
    epochs,
    series: metrics.map((m) => {
      const validation = column(`val_${m}`);
      return { metric: m, train: column(m), ...(validation.some((v) => v !== null) ? { validation } : {}) };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Run comparison

export interface ComparisonRow {
  key: string;
  values: (string | number | undefined)[];
  /** True when the runs disagree (or some lack the value). */
  differs: boolean;
  /** Numbers only: each run's value minus the reference run's (undefined where either lacks it). */
  deltas?: (number | undefined)[];
}

const asNumber = (v: string | number | undefined): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

function rows(runs: RunSummary[], pick: (r: RunSummary) => Record<string, string | number>, reference: number): ComparisonRow[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  return keys.map((key) => {
    const values = runs.map((r) => pick(r)[key]);
    const row: ComparisonRow = { key, values, differs: values.some((v) => v !== values[0]) };
    // Parameters are stored as text: "3" and "5" epochs still get a delta of 2.
    const numbers = values.map(asNumber);
    const base = numbers[reference];
    if (base !== undefined && numbers.some((n, i) => i !== reference && n !== undefined)) row.deltas = numbers.map((n) => (n === undefined ? undefined : n - base));
    return row;
  });
}

/** Parameters and metrics side by side, with deltas against the run at `reference` (the first by default). */
export function compareRuns(runs: RunSummary[], reference = 0): { params: ComparisonRow[]; metrics: ComparisonRow[] } {
  return { params: rows(runs, (r) => r.params, reference), metrics: rows(runs, (r) => r.metrics, reference) };
}

/** A signed delta for a table cell: +0.012, −3 (true minus sign), 0 without sign. */
export function formatDelta(d: number | undefined): string {
  if (d === undefined) return '';
  if (d === 0) return '0';
  return `${d > 0 ? '+' : '−'}${formatNumber(Math.abs(d))}`;
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x.toLocaleString('en-US');
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
