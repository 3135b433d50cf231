/** The task arguments the Trainer and each Tuner trial share: which data, read how, trained how long. */
import type { Static } from '@sinclair/typebox';
import type { ArtifactRef } from '../../core/component.ts';
import { listShards } from '../../formats/examples.ts';
import type { trainerParams } from './spec.ts';

type SharedParams = Pick<
  Static<typeof trainerParams>,
  'backend' | 'train_split' | 'eval_split' | 'label' | 'epochs' | 'train_steps' | 'eval_steps' | 'batch_size' | 'seed'
>;

interface TrainingInputs {
  examples: ArtifactRef;
  transform_graph: ArtifactRef;
  schema?: ArtifactRef;
}

export function trainingRunArgs(inputs: TrainingInputs, params: SharedParams) {
  return {
    backend: params.backend,
    transformGraphUri: inputs.transform_graph.uri,
    schemaUri: inputs.schema?.uri,
    trainShards: listShards(inputs.examples.uri, params.train_split),
    evalShards: listShards(inputs.examples.uri, params.eval_split),
    label: params.label,
    epochs: params.epochs,
    trainSteps: params.train_steps,
    evalSteps: params.eval_steps,
    batchSize: params.batch_size,
    seed: params.seed,
  };
}
