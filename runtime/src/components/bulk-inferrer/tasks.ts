/** BulkInferrer's pool task: one Arrow shard scored into a staged part. */
import { scoreExamplesShard } from './score.ts';

export const tasks = {
  'bulkInferrer.scoreShard': scoreExamplesShard,
};
