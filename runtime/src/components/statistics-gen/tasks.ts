/** StatisticsGen's pool tasks: one call per Arrow shard, returning mergeable partials. */
import { scanShard } from './shard.ts';

export const tasks = {
  'statisticsGen.scanShard': scanShard,
};
