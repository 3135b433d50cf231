/**
 * What the host sends a viewer: the artifact files already read and parsed (the webview has no file
 * access), in the runtime's own formats. Types only: the webview bundle stays free of runtime code.
 */
import type { DatasetFeatureStatisticsList } from '../runtime/src/formats/statistics.ts';
import type { Schema } from '../runtime/src/formats/schema.ts';
import type { ExampleAnomaliesFile } from '../runtime/src/formats/anomalies.ts';
import type { ThresholdCurve } from '../runtime/src/components/evaluator/accumulators.ts';

export interface ArtifactRef {
  id: number;
  type: string;
  uri: string;
  /** Producing node and run, when the store records them. */
  nodeId?: string;
  runId?: string;
}

/** evaluation.json as the Evaluator writes it (NaN/Infinity stored as null). */
export interface EvaluationFile {
  task: string;
  label: string;
  split: string;
  decision_threshold?: number;
  model: { id?: number; uri: string };
  baseline: { id?: number; uri: string; source: string } | null;
  slices: EvaluationSlice[];
}

export interface EvaluationSlice {
  name: string;
  slice: Record<string, string | number | null>;
  example_count: number;
  metrics: Record<string, number | null>;
  /** [lower, upper] (95 %). */
  confidence_intervals?: Record<string, [number | null, number | null]>;
  baseline_metrics?: Record<string, number | null>;
  diff?: Record<string, number | null>;
  confusion_matrix?: number[][];
  /** Binary: mean prediction against mean label per score bucket. */
  calibration_buckets?: CalibrationBucket[];
  /** Binary: confusion counts at thresholds, descending (ROC and PR curves). */
  confusion_at_thresholds?: ThresholdCurve;
  /** The baseline model's curves on the same rows. */
  baseline_confusion_at_thresholds?: ThresholdCurve;
  /** The baseline model's calibration on the same rows. */
  baseline_calibration_buckets?: CalibrationBucket[];
  /** Binary: |AUC on the threshold grid − exact AUC| ≤ this, per metric. */
  grid_error_bounds?: Record<string, number | null>;
}

export type { ThresholdCurve };

/** A calibration bucket as evaluation.json stores it (an empty bucket's means are NaN, written as null). */
export interface CalibrationBucket {
  lower: number;
  upper: number;
  count: number;
  mean_prediction: number | null;
  mean_label: number | null;
  /** 95 % interval of the observed positive rate (Evaluator output since this field was added). */
  label_interval?: [number | null, number | null];
}

/** blessing.json: the verdict and every threshold's outcome. */
export interface BlessingFile {
  blessed: boolean;
  reasons: { metric: string; slice: string; kind: string; passed: boolean; value?: number | null; bound?: number | null; baseline?: number | null; diff?: number | null; message: string }[];
}

/** One line of a Trainer's logs/metrics.jsonl. */
export interface EpochLine {
  epoch: number;
  [metric: string]: number | string;
}

export interface ModelInfo {
  backend?: string;
  task?: string;
  label?: string;
  classes?: string[];
  inputFeatures?: string[];
  rawFeatures?: { name: string; type: string }[];
  createdAt?: string;
  trainMetrics?: Record<string, number>;
  /**
   * What run_fn was given as ctx.hyperparameters: the Trainer's `hyperparameters` param, overridden
   * by a wired HyperParameters artifact (Tuner), each with where it came from.
   */
  hyperparameters?: { name: string; value: string | number | boolean; source: string }[];
  /** The Trainer's other parameters (epochs, batch size, steps …) of the execution that made the model. */
  training?: Record<string, string | number | boolean>;
  /** Bytes of every file in the bundle. */
  files: { path: string; bytes: number }[];
}

export interface LineageNode {
  /** `a<id>` for artifacts, `e<id>` for executions, `s<kind>:<path>` for the data and code an execution read. */
  key: string;
  kind: 'artifact' | 'execution' | 'source';
  /** The artifact's or execution's id; 0 for a source. */
  id: number;
  label: string;
  /** What the node shows zoomed out: the label, but an execution's node id alone and a file's name. */
  short: string;
  detail: string;
  state: string;
}

export interface LineageGraph {
  root: string;
  nodes: LineageNode[];
  /** Artifact → execution (consumed as `label`), execution → artifact (produced as `label`), source → execution (the parameter). */
  edges: { from: string; to: string; label: string }[];
  /** Consumers beyond the downstream limit were left out. */
  truncated?: boolean;
}

export interface RunSummary {
  runId: string;
  state: string;
  startedAt: string;
  durationMs?: number;
  /** `<node>.<param>` → value (JSON-encoded for non-scalars). */
  params: Record<string, string>;
  /** `<node>.<metric>` → value: evaluation overall metrics and trainer final metrics. */
  metrics: Record<string, number>;
  nodes: { nodeId: string; state: string; durationMs?: number }[];
}

/** One span of a feature's history (trends view): its key statistics in one split. */
export interface TrendPoint {
  span: number;
  /** `3`, or `3 v2` when the span has versions. */
  label: string;
  runId: string;
  /** False: the feature is absent from this span's statistics (schema evolution). */
  present: boolean;
  count?: number;
  /** 0..100 */
  missingPct?: number;
  mean?: number;
  std?: number;
  min?: number;
  median?: number;
  max?: number;
  unique?: number;
  /** `value (frequency)`, the most frequent few (string features). */
  topValues?: string;
  anomalies: { severity: string; description: string }[];
}

/** `tributary trends --json` for one feature, one series per split, spans in order. */
export interface FeatureTrends {
  pipeline: string;
  /** The StatisticsGen node. */
  nodeId?: string;
  feature: string;
  /** STRING, INT, FLOAT… (from the first span that has the feature). */
  type?: string;
  numeric: boolean;
  splits: string[];
  series: Record<string, TrendPoint[]>;
}

/** A ManualApproval execution WAITING with this artifact among its inputs: decide it from the viewer. */
export interface PendingApproval {
  runId: string;
  nodeId: string;
  requestedAt: string;
  /** ISO time at which the request is rejected automatically. */
  deadline?: string;
}

/** Artifacts a person reviews before a decision carry the approvals waiting on them. */
type Reviewable = { approvals?: PendingApproval[] };

export type ViewerPayload =
  | ({ kind: 'statistics'; artifact: ArtifactRef; statistics: DatasetFeatureStatisticsList; anomalies?: { artifact: ArtifactRef; file: ExampleAnomaliesFile } } & Reviewable)
  | ({ kind: 'schema'; artifact: ArtifactRef; schema: Schema } & Reviewable)
  | ({ kind: 'anomalies'; artifact: ArtifactRef; anomalies: ExampleAnomaliesFile } & Reviewable)
  | ({ kind: 'evaluation'; artifact: ArtifactRef; evaluation: EvaluationFile; blessing?: BlessingFile } & Reviewable)
  | ({ kind: 'model'; artifact: ArtifactRef; info: ModelInfo; epochs: EpochLine[] } & Reviewable)
  | { kind: 'lineage'; artifact: ArtifactRef; graph: LineageGraph }
  | { kind: 'compare'; pipeline: string; runs: RunSummary[] }
  | { kind: 'trends'; trends: FeatureTrends }
  | { kind: 'unsupported'; artifact: ArtifactRef; files: { path: string; bytes: number }[]; reason: string };
