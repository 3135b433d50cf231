import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

const changeThreshold = Type.Object(
  {
    direction: Type.Union([Type.Literal('higher_is_better'), Type.Literal('lower_is_better')]),
    absolute: Type.Optional(Type.Number({ description: 'higher_is_better: candidate − baseline must be ≥ this (e.g. -0.01 allows a 0.01 drop); lower_is_better: ≤ this.' })),
    relative: Type.Optional(Type.Number({ description: 'As absolute, on (candidate − baseline) / |baseline|.' })),
  },
  { additionalProperties: false },
);

export const evaluatorParams = Type.Object({
  label: Type.String({ default: '', description: "Raw label column of the examples; empty: the bundle's label feature, computed by its transform graph." }),
  task: Type.Union([Type.Literal('auto'), Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')], {
    default: 'auto',
    description: 'auto: the task recorded in the model bundle.',
  }),
  split: Type.String({ default: 'eval', description: 'Split of the examples to evaluate on.' }),
  slicing_specs: Type.Array(Type.Array(Type.String()), {
    default: [[]],
    description: 'Slices: [] is the overall slice, ["trip_start_hour"] one slice per value, ["a","b"] a cross.',
  }),
  thresholds: Type.Array(
    Type.Object(
      {
        metric: Type.String({ description: 'e.g. auc, accuracy, log_loss, mse, r2, example_count' }),
        lower_bound: Type.Optional(Type.Number()),
        upper_bound: Type.Optional(Type.Number()),
        change: Type.Optional(changeThreshold),
      },
      { additionalProperties: false },
    ),
    { default: [], description: 'Checked on the overall slice; every one must pass for the model to be blessed.' },
  ),
  decision_threshold: Type.Number({ default: 0.5, minimum: 0, maximum: 1, description: 'Binary: score ≥ this predicts the positive class.' }),
  bootstrap_resamples: Type.Integer({ default: 100, minimum: 0, description: 'Resamples for bootstrap intervals (AUC, log loss, MSE …); 0 turns them off.' }),
  min_slice_size: Type.Integer({ default: 1, minimum: 1, description: 'Slices with fewer examples report their count only.' }),
  batch_size: Type.Integer({ default: 8192, minimum: 1, description: 'Rows per predict call (each pool worker predicts its own shards). Larger calls spread the per-call work of tfjs over more rows: 8192 takes about a fifth less CPU than 2048.' }),
});

export const evaluatorSpec = {
  type: 'Evaluator',
  // 2: streamed, AUCs on a threshold grid, Poisson bootstrap. 3: confusion counts at thresholds (ROC/PR curves).
  // 4: calibration buckets with the observed rate's interval, and the baseline's calibration.
  version: '4',
  category: 'model',
  icon: 'checklist',
  description:
    'Computes model metrics overall and per slice (with confidence intervals), compares with a baseline (the wired baseline_model or the latest blessed model of the pipeline) and blesses the model when every threshold holds.',
  inputs: {
    examples: { type: 'Examples', description: 'Raw examples with the evaluation split.' },
    model: { type: 'Model', description: 'The candidate model.' },
    baseline_model: {
      type: 'Model',
      optional: true as const,
      description:
        'Baseline; default: the latest blessed model in the metadata store, which is part of the cache key and recorded as the input latest_blessed_model.',
    },
    schema: { type: 'Schema', optional: true as const, description: 'Not needed for metrics; accepted for TFX parity.' },
  },
  outputs: {
    evaluation: {
      type: 'ModelEvaluation',
      description: 'evaluation.json: metrics per slice with 95 % intervals, binary ROC/PR data (confusion counts at thresholds) and calibration buckets, baseline metrics, curves and differences.',
    },
    blessing: { type: 'ModelBlessing', description: 'blessing.json: blessed or not, with every threshold outcome.' },
  },
  params: evaluatorParams,
} satisfies ComponentSpec;
