/** The closed vocabulary of artifact types every edge is checked against (as in TFX). */
export const ARTIFACT_TYPES = [
  'Examples',
  'ExampleStatistics',
  'Schema',
  'ExampleAnomalies',
  'TransformGraph',
  'HyperParameters',
  'Model',
  'ModelEvaluation',
  'ModelBlessing',
  'InfraBlessing',
  'PushedModel',
  'InferenceResult',
] as const;

export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

export const ARTIFACT_DESCRIPTIONS: Record<ArtifactType, string> = {
  Examples: 'Rows split into named splits (train, eval), stored as sharded Apache Arrow IPC files.',
  ExampleStatistics: "Per-split feature statistics in TFDV's DatasetFeatureStatisticsList shape.",
  Schema: "Expected features, types, presence and domains in tensorflow_metadata's Schema shape.",
  ExampleAnomalies: 'Per-split anomalies of the data against a schema, with severities, and drift checks.',
  TransformGraph: 'Analyzer results and the preprocessing function needed to apply a transform again.',
  HyperParameters: 'The best hyperparameters found by a tuner.',
  Model: 'A trained model with its serving bundle.',
  ModelEvaluation: 'Metrics of a model overall and per slice.',
  ModelBlessing: 'Whether a model passed its evaluation thresholds, with the reasons.',
  InfraBlessing: 'Whether a model loaded and served within limits in a real server.',
  PushedModel: 'A model version pushed into a model registry.',
  InferenceResult: 'Batch predictions.',
};

/**
 * Parts of an artifact that say when or how fast it was made, not what it is. They are left out of
 * its content fingerprint (a cache hit still checks them like every file), so the same content made
 * twice has one fingerprint and downstream work is reused. A path ending in `/` is a folder;
 * `file#key` leaves out one top-level key of a JSON file. The Trainer's layout (ml/bundle.ts,
 * components/trainer/train-task.ts): TensorBoard logs and metrics.jsonl under logs/, and the
 * bundle's creation time.
 */
export const VOLATILE_CONTENT: Partial<Record<ArtifactType, readonly string[]>> = {
  Model: ['logs/', 'bundle/bundle.json#createdAt'],
};
