/** StatisticsGen's pool tasks: one call per Arrow shard or group of consecutive shards, returning mergeable partials. */
import { scanShard, scanShards } from './shard.ts';

export const tasks = {
  'statisticsGen.scanShard': scanShard,
  'statisticsGen.scanShards': scanShards,
};
