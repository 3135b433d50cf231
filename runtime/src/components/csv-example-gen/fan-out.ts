/**
 * CsvExampleGen as map/merge steps: the plan is the executor's byte ranges (its `run` stopped
 * before parsing), each map step is the pool task `parseRange` on one range writing its Arrow
 * shards to the node's scratch folder, and the merge step is the executor's `run` with that first
 * pass handed in: it chains ranges, re-parses any range that needs wider types (on its own pool)
 * and moves the shards into the output, so the Examples equal a single-process run's.
 */
import type { FanOut } from '../../core/fan-out.ts';
import type { ExecutorContext } from '../../core/component.ts';
import { run } from './executor.ts';
import type { csvExampleGenOutputs, csvExampleGenParams } from './spec.ts';
import { parseRange, type ParseRangeArgs, type ParseRangeResult } from './range-parser.ts';

type Ctx = ExecutorContext<Record<string, never>, typeof csvExampleGenOutputs, typeof csvExampleGenParams>;

// The plan reads only params and paths, which a map step's context has too.
const asCtx = (ctx: unknown) => ctx as Ctx;

export const fanOut: FanOut<ParseRangeArgs, ParseRangeResult> = {
  async plan(ctx) {
    return (await run(asCtx(ctx), { stagingUri: ctx.scratch, planOnly: true })) ?? [];
  },
  map(_ctx, item) {
    return parseRange(item);
  },
  async merge(ctx, partials) {
    await run(asCtx(ctx), { stagingUri: ctx.scratch, firstPass: partials });
  },
};
