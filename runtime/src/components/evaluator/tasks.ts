/** The Evaluator's pool task: one Arrow shard of the eval split → per-slice metric accumulators. */
import { scanEvalShard } from './scan.ts';

export const tasks = {
  'evaluator.scanShard': scanEvalShard,
};
