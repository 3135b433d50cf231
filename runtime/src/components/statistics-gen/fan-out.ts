/**
 * StatisticsGen as map/merge steps: one map per group of consecutive Arrow shards (the pool task
 * `scanShards` itself, grouped as the executor groups them), the merge folds the partials per split
 * in group order with the executor's SplitMerge and writes through the executor's writeStatistics,
 * so the statistics equal a single-process run's.
 */
import type { FanOut } from '../../core/fan-out.ts';
import type { ExecutorContext } from '../../core/component.ts';
import { planScan, writeStatistics } from './executor.ts';
import { scanShards, type ShardGroupTaskArgs, type ShardPartial } from './shard.ts';
import type { statisticsGenSpec } from './spec.ts';

type Spec = typeof statisticsGenSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

// planScan only reads params, inputs and the log, which a map step's context has too.
const asCtx = (ctx: unknown) => ctx as Ctx;

export const fanOut: FanOut<ShardGroupTaskArgs, ShardPartial> = {
  plan(ctx) {
    const { options, merges } = planScan(asCtx(ctx));
    return merges.flatMap((m) => m.groups.map((files) => ({ files, split: m.split, ...options })));
  },
  map(_ctx, item) {
    return scanShards(item);
  },
  async merge(ctx, partials) {
    const { splits, merges } = planScan(asCtx(ctx));
    let k = 0;
    for (const m of merges) m.groups.forEach((_, index) => m.accept(index, partials[k++]));
    if (k !== partials.length) throw new Error(`StatisticsGen merge got ${partials.length} partials for ${k} shard groups`);
    await writeStatistics(asCtx(ctx), splits, merges);
  },
};
