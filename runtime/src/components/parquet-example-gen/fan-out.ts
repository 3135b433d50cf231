/**
 * ParquetExampleGen as map/merge steps: the plan is the executor's shards (row-group runs), each
 * map step is the pool task `readRows` on one shard, staged in the node's scratch folder, and the
 * merge step is the executor's `run` with those outcomes handed in, so the Examples equal a
 * single-process run's.
 */
import type { FanOut } from '../../core/fan-out.ts';
import { run, type Ctx } from './executor.ts';
import { readRows, type ReadRowsArgs, type ReadRowsResult } from './read-rows.ts';

const asCtx = (ctx: unknown) => ctx as Ctx;

export const fanOut: FanOut<ReadRowsArgs, ReadRowsResult> = {
  async plan(ctx) {
    return (await run(asCtx(ctx), { stagingUri: ctx.scratch, planOnly: true })) ?? [];
  },
  map(_ctx, item) {
    return readRows(item);
  },
  async merge(ctx, partials) {
    await run(asCtx(ctx), { stagingUri: ctx.scratch, outcomes: partials });
  },
};
