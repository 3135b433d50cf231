/** Tuner's declaration: ports and parameters (read without loading the executor). */
import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';
import { backendParam, workersParam } from '../trainer/spec.ts';

export const tunerParams = Type.Object({
  module_file: Type.String({ 'x-module': true, description: 'Module exporting tuner_fn (and run_fn, used for trials unless tuner_fn gives run_trial).' }),
  tuner_fn: Type.String({ default: 'tuner_fn', description: 'Exported function declaring the search space and objective.' }),
  run_fn: Type.String({ default: 'run_fn', description: 'Exported run_fn trials train with when tuner_fn returns no run_trial.' }),
  strategy: Type.Union([Type.Literal('random'), Type.Literal('grid')], { default: 'random', description: 'random: seeded samples of the space; grid: every combination (floats at grid_points values).' }),
  max_trials: Type.Optional(Type.Integer({ minimum: 1, description: "Trials to run; default tuner_fn's max_trials, else 10 (grid: all combinations up to this)." })),
  grid_points: Type.Integer({ minimum: 2, default: 3, description: 'Grid search: values per float range (log-spaced for log ranges).' }),
  parallel_trials: Type.Integer({ minimum: 1, default: 2, description: 'Trials run at once, each in its own worker thread with its own backend.' }),
  workers_per_trial: workersParam(
    'Worker threads per trial: above 1, each trial trains data-parallel like the Trainer with workers (a share of every batch per worker, gradients averaged). parallel_trials × workers_per_trial threads run at once; auto: one per core (or GPU), at most batch_size (each worker needs a row of every batch).',
  ),
  early_stopping: Type.Boolean({
    default: true,
    description: 'Median stopping rule: after min_epochs, a trial whose objective is worse than the median of the other trials at the same epoch is stopped.',
  }),
  min_epochs: Type.Integer({ minimum: 1, default: 1, description: 'Epochs every trial runs before it may be stopped early.' }),
  epochs: Type.Integer({ minimum: 1, default: 3, description: 'Epochs per trial.' }),
  train_steps: Type.Optional(Type.Integer({ minimum: 1, description: 'Batches per epoch (default one pass).' })),
  eval_steps: Type.Optional(Type.Integer({ minimum: 1, description: 'Eval batches (default the whole eval split).' })),
  batch_size: Type.Integer({ minimum: 1, default: 256, description: 'Rows per batch.' }),
  backend: backendParam,
  trial_timeout: Type.Number({ minimum: 0, default: 1800, description: 'Seconds per trial before its worker is terminated (the trial fails; others go on).' }),
  label: Type.Optional(Type.String({ description: "Transformed label feature; default the transform graph's label." })),
  train_split: Type.String({ default: 'train', description: 'Split to train trials on.' }),
  eval_split: Type.String({ default: 'eval', description: 'Split the objective is measured on.' }),
  seed: Type.Integer({ default: 42, description: 'Seed for random search and shuffling.' }),
});

export const tunerSpec = {
  type: 'Tuner',
  version: '1',
  category: 'model',
  icon: 'settings',
  description:
    "Searches the hyperparameters declared by the module's tuner_fn (random or grid), running trials in parallel worker threads with median early stopping; outputs the best hyperparameters for the Trainer and a trials table.",
  inputs: {
    examples: { type: 'Examples', description: 'Transformed examples with train and eval splits.' },
    transform_graph: { type: 'TransformGraph', description: 'The transform graph of the examples.' },
    schema: { type: 'Schema', optional: true as const, description: 'Given to tuner_fn and run_fn.' },
  },
  outputs: {
    best_hyperparameters: { type: 'HyperParameters', description: 'best_hyperparameters.json (plain object) and trials.json (one row per trial).' },
  },
  params: tunerParams,
} satisfies ComponentSpec;
