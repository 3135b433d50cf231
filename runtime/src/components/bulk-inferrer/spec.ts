import { Type } from '@sinclair/typebox';
import type { ComponentSpec } from '../../core/component.ts';

export const bulkInferrerParams = Type.Object({
  path: Type.String({ default: '', 'x-path': 'file', description: 'An unlabelled CSV file (header row) to score; empty: score the examples input.' }),
  split: Type.String({ default: 'eval', description: 'Split of the examples input to score (when path is empty).' }),
  prediction_column: Type.String({ default: 'prediction', description: 'Name of the added column.' }),
  batch_size: Type.Integer({ default: 8192, minimum: 1, description: 'Rows per predict call.' }),
});

export const bulkInferrerSpec = {
  type: 'BulkInferrer',
  // 2: streamed in parts; column types from the input's schema.
  version: '2',
  category: 'model',
  icon: 'run-all',
  description:
    "Batch predictions with a model and its transform graph for an unlabelled CSV or a split of an Examples artifact: the rows plus a prediction column (multiclass: the class and one probability column per class), as Arrow and CSV.",
  inputs: {
    model: { type: 'Model', description: 'The model (its serving bundle applies the transform graph).' },
    examples: { type: 'Examples', optional: true as const, description: 'Rows to score, unless path names a CSV.' },
  },
  outputs: {
    inference_result: { type: 'InferenceResult', description: 'predictions.arrow and predictions.csv.' },
  },
  params: bulkInferrerParams,
} satisfies ComponentSpec;
