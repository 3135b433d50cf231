/**
 * The Evaluator as map/merge steps (Argo): one map step per Arrow shard runs the pool task itself
 * (predictions and per-slice accumulators), the merge step folds the partials in shard order with
 * the executor's EvalMerge and writes through its writeEvaluation, so metrics and blessing equal a
 * single-process run's.
 */
import type { FanOut } from '../../core/fan-out.ts';
import type { ExecutorContext } from '../../core/component.ts';
import { EvalMerge, planEvaluation, writeEvaluation } from './executor.ts';
import type { evaluatorSpec } from './spec.ts';
import { type EvalPartial, type EvalScanArgs, scanEvalShard } from './scan.ts';

type Spec = typeof evaluatorSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

// planEvaluation reads params, inputs, the log and the resolved baseline, which every step has.
const asCtx = (ctx: unknown) => ctx as Ctx;

export const fanOut: FanOut<EvalScanArgs, EvalPartial & { baselineDir?: string }> = {
  async plan(ctx) {
    return (await planEvaluation(asCtx(ctx))).items;
  },
  async map(_ctx, item) {
    return { ...(await scanEvalShard(item)), ...(item.baseline ? { baselineDir: item.baseline } : {}) };
  },
  async merge(ctx, partials) {
    const plan = await planEvaluation(asCtx(ctx));
    if (partials.length !== plan.items.length) throw new Error(`Evaluator merge got ${partials.length} partials for ${plan.items.length} shards`);
    const merge = new EvalMerge();
    partials.forEach((p: EvalPartial & { baselineDir?: string }, i) => {
      // The baseline is resolved from the store by every step: a model blessed in between would mix two baselines.
      if (p.baselineDir !== plan.items[i].baseline) {
        throw new Error(`Evaluator shard ${i} was compared with baseline ${p.baselineDir ?? 'none'}, the merge resolved ${plan.items[i].baseline ?? 'none'}: rerun the node`);
      }
      merge.accept(i, p);
    });
    writeEvaluation(asCtx(ctx), plan, merge);
  },
};
