/**
 * BulkInferrer as map/merge steps (Argo): for the examples input one map step per Arrow shard runs
 * the pool task itself and stages its scored part in the node's scratch folder; a CSV input
 * (`path`) is one map step that stages its chunks. The merge step appends the parts in order with
 * the executor's writer, so the outputs equal a single-process run's.
 */
import { mkdirSync } from 'node:fs';
import type { FanOut } from '../../core/fan-out.ts';
import type { ExecutorContext } from '../../core/component.ts';
import { planExamples, scoreCsv, writeParts } from './executor.ts';
import type { bulkInferrerSpec } from './spec.ts';
import { scoreExamplesShard, type ScoredPart, type ScoreShardArgs } from './score.ts';

type Spec = typeof bulkInferrerSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;
const asCtx = (ctx: unknown) => ctx as Ctx;

type Item = ScoreShardArgs | { csv: string; staging: string };

function plan(ctx: Ctx, scratch: string): { items: Item[]; source: string } {
  if (ctx.params.path) {
    const csv = ctx.resolvePath(ctx.params.path);
    return { items: [{ csv, staging: scratch }], source: csv };
  }
  const { items, source } = planExamples(ctx, scratch);
  return { items, source };
}

export const fanOut: FanOut<Item, ScoredPart[]> = {
  plan(ctx) {
    return plan(asCtx(ctx), ctx.scratch).items;
  },
  async map(ctx, item) {
    mkdirSync(item.staging, { recursive: true });
    if ('csv' in item) {
      const parts: ScoredPart[] = [];
      await scoreCsv(asCtx(ctx), item.csv, item.staging, async (_i, part) => void parts.push(part));
      return parts;
    }
    return [await scoreExamplesShard(item)];
  },
  async merge(ctx, partials: ScoredPart[][]) {
    const { items, source } = plan(asCtx(ctx), ctx.scratch);
    if (partials.length !== items.length) throw new Error(`BulkInferrer merge got ${partials.length} partials for ${items.length} items`);
    await writeParts(asCtx(ctx), partials.flat(), source);
  },
};
