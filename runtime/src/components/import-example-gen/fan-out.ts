/**
 * ImportExampleGen as map/merge steps: one map step per file (the pool task `readRecords` with the
 * file's own columns, staged in the scratch folder); the merge step is the executor's `run` with
 * those results: it settles the columns over all files, re-reads the files that need wider ones
 * (on its own pool) and moves the shards into the output, as a single-process run would.
 */
import type { FanOut } from '../../core/fan-out.ts';
import { run, type Ctx } from './executor.ts';
import { readRecords, type ReadRecordsArgs, type ReadRecordsResult } from './read-records.ts';

const asCtx = (ctx: unknown) => ctx as Ctx;

export const fanOut: FanOut<ReadRecordsArgs, ReadRecordsResult> = {
  async plan(ctx) {
    return (await run(asCtx(ctx), { stagingUri: ctx.scratch, planOnly: true })) ?? [];
  },
  map(_ctx, item) {
    return readRecords(item);
  },
  async merge(ctx, partials) {
    await run(asCtx(ctx), { stagingUri: ctx.scratch, firstPass: partials });
  },
};
