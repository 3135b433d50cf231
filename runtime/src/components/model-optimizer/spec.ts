/** ModelOptimizer's declaration: ports and parameters (read without loading the executor). */
import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const modelOptimizerParams = Type.Object({
  quantize: Type.Union([Type.Literal('float16'), Type.Literal('uint8')], {
    default: 'float16',
    description: "Weight quantisation, in tfjs's manifest format (stock tf.loadLayersModel reads it): float16 halves the weights, uint8 (affine, 0 kept exact) quarters them.",
  }),
  latency_rows: Type.Integer({ minimum: 1, default: 256, description: 'Rows of the batch predict timed for the latency report (a 1-row predict is timed too).' }),
  latency_repeats: Type.Integer({ minimum: 1, default: 50, description: 'Predicts timed per model and batch size; the report gives medians.' }),
});

export const modelOptimizerSpec = {
  type: 'ModelOptimizer',
  version: '1',
  category: 'deployment',
  icon: 'package',
  description:
    "Compresses a trained model for deployment: the same serving bundle with float16 or uint8-quantised weights. Reports the bytes, load and predict latency of both models and how far their predictions differ (compression.json). Wire its model into the Evaluator with the full model as baseline_model and a change threshold to gate the accuracy lost, then into the Pusher.",
  inputs: {
    model: { type: 'Model', description: 'The trained model (Trainer output).' },
  },
  outputs: {
    model: { type: 'Model', description: 'bundle/ with quantised weights (model.json, weights.bin, transform/, bundle.json) and compression.json.' },
  },
  params: modelOptimizerParams,
} satisfies ComponentSpec;
