import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const manualApprovalParams = Type.Object({
  timeout_s: Type.Number({
    default: 86_400,
    minimum: 0,
    description: 'Seconds to wait for a decision before rejecting automatically (counted from the request, across restarts); 0 waits forever.',
  }),
  poll_interval_s: Type.Number({ default: 1, minimum: 0.05, maximum: 60, description: 'How often the waiting run checks the metadata store for a decision.' }),
  ask_when_not_blessed: Type.Boolean({
    default: false,
    description: 'false: a model the wired blessing did not bless is passed on as not blessed without asking anyone.',
  }),
});

export const manualApprovalSpec = {
  type: 'ManualApproval',
  version: '1',
  category: 'deployment',
  icon: 'cloud-upload',
  // Waiting for a person costs no CPU: it neither waits for nor blocks other nodes.
  resources: 'idle',
  description:
    'Engineer in the loop: pauses its branch (execution WAITING in the metadata store) until someone runs `tributary approve RUN NODE [--reject]`. Approved: emits a ModelBlessing for the Pusher. Rejected or timed out: the node fails and its descendants do not run.',
  inputs: {
    model: { type: 'Model', description: 'The model to approve.' },
    evaluation: { type: 'ModelEvaluation', optional: true as const, description: "The Evaluator's metrics, to look at before deciding." },
    blessing: { type: 'ModelBlessing', optional: true as const, description: "The Evaluator's blessing: an unblessed model is not asked about (see ask_when_not_blessed)." },
    anomalies: { type: 'ExampleAnomalies', optional: true as const, description: 'Data anomalies to look at before deciding.' },
  },
  outputs: {
    blessing: { type: 'ModelBlessing', description: 'blessing.json: blessed when approved (and blessed upstream), with who, when and the comment.' },
  },
  params: manualApprovalParams,
} satisfies ComponentSpec;
