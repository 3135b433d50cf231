/**
 * The "New Pipeline" templates and what each writes beside the new pipeline file: the YAML from
 * extension/templates/, and for Chicago taxi the module files (the taxi sample's own
 * preprocessing_fn and run_fn) and a seeded synthetic trip table generated on the spot, so the new
 * pipeline runs end to end as it is (write-template.ts writes them).
 */

/** A file written beside the pipeline; `to` is relative to its folder, `${name}` the pipeline's name. */
export type Companion =
  /** A file of the extension (relative to its root) copied as is. */
  | { kind: 'copy'; from: string; to: string }
  /** The taxi sample's synthetic trips (samples/taxi/generate.ts): `rows` rows from `seed`. */
  | { kind: 'taxi-csv'; to: string; rows: number; seed: number };

export interface PipelineTemplate {
  id: string;
  label: string;
  detail: string;
  companions?: readonly Companion[];
}

/** The sample's default table: 15,000 trips, seed 42 (samples/taxi/data/taxi.csv). */
const TAXI_ROWS = 15000;

export const PIPELINE_TEMPLATES: readonly PipelineTemplate[] = [
  {
    id: 'taxi',
    label: 'Chicago taxi',
    detail:
      'The TFX taxi pipeline: CSV → statistics → schema → validation → Transform → Trainer → Evaluator → Pusher; writes its preprocessing and trainer modules and 15,000 synthetic trips (data/taxi.csv) beside it',
    companions: [
      { kind: 'copy', from: 'samples/taxi/taxi_transform.ts', to: '${name}_transform.ts' },
      { kind: 'copy', from: 'samples/taxi/taxi_trainer.ts', to: '${name}_trainer.ts' },
      { kind: 'taxi-csv', to: 'data/taxi.csv', rows: TAXI_ROWS, seed: 42 },
    ],
  },
  { id: 'penguins', label: 'Palmer penguins', detail: 'Multiclass classification data: ingest, statistics, schema, validation' },
  { id: 'blank', label: 'Blank', detail: 'One CSV input to point at your file (data/input.csv until you do: a warning says so)' },
];

/** A pipeline name: also a file name prefix, so no separators or dots. */
export const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
