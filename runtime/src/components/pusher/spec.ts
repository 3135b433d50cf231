import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const pusherParams = Type.Object({
  registry: Type.String({ 'x-path': 'dir', description: 'Model registry folder: versions go to <registry>/<model_name>/<version>/.' }),
  model_name: Type.String({ description: 'Name of the model in the registry (letters, digits, _ . -).' }),
  labels: Type.Array(Type.String(), { default: [], description: 'Labels to point at the new version, e.g. ["canary"] or ["stable"].' }),
});

export const pusherSpec = {
  type: 'Pusher',
  version: '1',
  category: 'deployment',
  icon: 'cloud-upload',
  description:
    'Copies a blessed model bundle into a versioned model registry (new integer version, never overwritten, atomic) and moves labels. An unblessed model is not pushed: the node succeeds with pushed=false and says why, as TFX skips the push.',
  inputs: {
    model: { type: 'Model', description: 'The model to push.' },
    model_blessing: { type: 'ModelBlessing', optional: true as const, description: "The Evaluator's blessing; not wired: push without it." },
    infra_blessing: { type: 'InfraBlessing', optional: true as const, description: "The InfraValidator's blessing, when wired it must be blessed too." },
  },
  outputs: {
    pushed_model: { type: 'PushedModel', description: 'pushed.json: pushed or not, why, version and path.' },
  },
  params: pusherParams,
} satisfies ComponentSpec;
