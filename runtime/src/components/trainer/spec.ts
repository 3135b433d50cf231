/** Trainer's declaration: ports and parameters (read without loading the executor). */
import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const backendParam = Type.Union(
  [Type.Literal('auto'), Type.Literal('tfjs-node-gpu'), Type.Literal('webgpu'), Type.Literal('wasm'), Type.Literal('cpu')],
  {
    default: 'auto',
    description:
      'TensorFlow.js backend. auto: tfjs-node-gpu if it loads, else WebGPU on a real (non-fallback) adapter, else wasm, else cpu; the choice and the reasons are logged and recorded on the Model. A named backend that cannot load fails the node; webgpu named explicitly also runs on a fallback (software) adapter such as Mesa lavapipe.',
  },
);

export const workersParam = (description: string) =>
  Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('auto')], { default: 1, description });

export const trainerParams = Type.Object({
  module_file: Type.String({ 'x-module': true, description: 'TypeScript or JavaScript module exporting the run_fn.' }),
  run_fn: Type.String({ default: 'run_fn', description: 'Name of the exported function that builds and fits the model.' }),
  epochs: Type.Integer({ minimum: 1, default: 5, description: 'Passes given to run_fn (ctx.epochs).' }),
  train_steps: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Batches per epoch; default one full pass over the train split (repeats the data when larger).' }),
  ),
  eval_steps: Type.Optional(Type.Integer({ minimum: 1, description: 'Eval batches per evaluation; default the whole eval split.' })),
  batch_size: Type.Integer({ minimum: 1, default: 256, description: 'Rows per batch.' }),
  backend: backendParam,
  workers: workersParam('Synchronous data-parallel training over this many worker threads (auto: one per GPU with tfjs-node-gpu, else one per core; never more than batch_size). Each has its own backend and a share of every global batch (batch_size stays the global batch, and each worker needs at least one of its rows); gradients are averaged every step, so the weights stay identical. run_fn does not change.'),
  timeout: Type.Number({ minimum: 0, default: 3600, description: 'Seconds before the training worker is terminated and the node fails (0: none).' }),
  hyperparameters: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()]), {
    default: {},
    description: 'Hyperparameters for run_fn; values from a wired HyperParameters input (Tuner) take precedence.',
  }),
  task: Type.Union([Type.Literal('auto'), Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')], {
    default: 'auto',
    description: 'auto: from the model output (1 sigmoid unit → binary, softmax → multiclass, else regression).',
  }),
  label: Type.Optional(Type.String({ description: "Transformed label feature; default the transform graph's label." })),
  train_split: Type.String({ default: 'train', description: 'Split of the examples to train on.' }),
  eval_split: Type.String({ default: 'eval', description: 'Split of the examples to evaluate on.' }),
  shuffle_buffer: Type.Integer({ minimum: 1, default: 10000, description: 'Rows held for shuffling training data.' }),
  seed: Type.Integer({ default: 42, description: 'Seed for shuffling (and for run_fn via ctx.hyperparameters.seed if unset).' }),
});

export const trainerSpec = {
  type: 'Trainer',
  version: '1',
  category: 'model',
  icon: 'rocket',
  description:
    "Trains a TensorFlow.js model with the module's run_fn on transformed examples streamed from Arrow shards, and saves a serving bundle (model + transform graph). Per-epoch metrics go to logs/metrics.jsonl and TensorBoard event files in the Model artifact.",
  inputs: {
    examples: { type: 'Examples', description: 'Transformed examples (Transform output) with train and eval splits.' },
    transform_graph: { type: 'TransformGraph', description: 'The transform graph the examples were made with; copied into the bundle.' },
    schema: { type: 'Schema', optional: true as const, description: 'Given to run_fn as ctx.schema.' },
    hyperparameters: { type: 'HyperParameters', optional: true as const, description: 'Tuned hyperparameters (Tuner output).' },
    base_model: { type: 'Model', optional: true as const, description: 'A previous model; run_fn finds its bundle directory in ctx.hyperparameters.base_model_dir.' },
  },
  outputs: {
    model: {
      type: 'Model',
      description: 'bundle/ (model.json, weights.bin, transform/, bundle.json) and logs/ (metrics.jsonl, TensorBoard events under train/ and validation/).',
    },
  },
  params: trainerParams,
} satisfies ComponentSpec;
