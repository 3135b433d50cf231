/** Anomalies in the proto3 JSON shape of tensorflow_metadata's Anomalies (anomalies.proto), per split. */
export type Severity = 'UNKNOWN' | 'WARNING' | 'ERROR';

export interface AnomalyReason {
  /** e.g. SCHEMA_MISSING_COLUMN, ENUM_TYPE_UNEXPECTED_STRING_VALUES, COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH */
  type: string;
  shortDescription: string;
  description: string;
}

export interface AnomalyInfo {
  path: { step: string[] };
  severity: Severity;
  shortDescription: string;
  description: string;
  reason: AnomalyReason[];
}

export interface Anomalies {
  /** Keyed by feature name; dataset-level anomalies use the key "" in `datasetAnomalyInfo`. */
  anomalyInfo: Record<string, AnomalyInfo>;
  datasetAnomalyInfo?: AnomalyInfo;
  dataMissing?: boolean;
}

/** The ExampleAnomalies artifact's file: one Anomalies per split. */
export interface ExampleAnomaliesFile {
  splits: Record<string, Anomalies>;
  /** Which earlier span the data was compared with (automatic previous-span comparison). */
  spanComparison?: SpanComparison;
}

export interface SpanComparison {
  span: number;
  version?: number;
  previousSpan: number;
  previousVersion?: number;
  /** The previous span's ExampleStatistics artifact. */
  previousStatisticsId: number;
}

export const ANOMALIES_FILE = 'anomalies.json';
