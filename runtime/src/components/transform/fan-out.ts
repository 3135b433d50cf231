/**
 * Transform as map/reduce/map/merge steps, with the executor's own pieces: phase 1 maps the pool
 * task `analyzeShard` over the analyzed shards (one analyzer-partial record per shard), the reduce
 * step merges them in shard order and finalizes them (`finishAnalysis`), phase 2 maps the pool
 * task `applyShard` with those analyzer results over every shard to transform (staged in the
 * scratch folder), and the merge links the staged shards into the output and writes the graph
 * through `writeTransformOutputs`, so the outputs equal a single-process run's.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FanOut, ShardContext } from '../../core/fan-out.ts';
import { splitDir } from '../../formats/examples.ts';
import type { AnalyzerRecord } from '../../ml/api.ts';
import { compileUserModule } from '../../modules/compile-module.ts';
import { findWorkspaceRoot } from '../../util/paths.ts';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { type ApplyShard, compileIntoGraph, finishAnalysis, planTransform, type PlanCtx, shardBase, transformedShardFile, writeTransformOutputs } from './executor.ts';
import type { transformSpec } from './spec.ts';
import { type AnalyzeResult, analyzeShard, type ApplyResult, applyShard } from './tasks.ts';

type Spec = typeof transformSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

// Planning reads only params and inputs, which a map step's context has too.
const asPlanCtx = (ctx: ShardContext) => ctx as unknown as PlanCtx;

/** Where phase 2 stages the transformed shards until the merge links them into the output. */
const stagedExamples = (scratch: string) => join(scratch, 'transformed');

/**
 * Runs one pool task here with the user's module compiled into the scratch folder (inside the
 * workspace, so its npm imports resolve as the graph's module.mjs would), under a name of its own:
 * parallel map steps on a shared volume never write the same file.
 */
async function withModule<T>(ctx: ShardContext, work: (modulePath: string) => Promise<T>): Promise<T> {
  const dir = join(ctx.scratch, `module-${randomUUID()}`);
  try {
    const compiled = await compileUserModule(ctx.resolvePath(asPlanCtx(ctx).params.module_file), { outDir: dir, workspaceRoot: findWorkspaceRoot(ctx.pipelineDir) });
    return await work(compiled.path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to); // a volume without hard links
  }
}

interface Carry {
  analyzers: AnalyzerRecord[];
  rows: number;
}

export const fanOut: FanOut<string, AnalyzeResult> = {
  plan(ctx) {
    return planTransform(asPlanCtx(ctx)).analyzeFiles;
  },
  map(ctx, file) {
    const plan = planTransform(asPlanCtx(ctx));
    return withModule(ctx, (modulePath) => analyzeShard({ ...shardBase(asPlanCtx(ctx), plan, modulePath), file }));
  },
  second: {
    reduce(ctx, partials: AnalyzeResult[]) {
      const { analyzers, rows } = finishAnalysis(partials);
      ctx.log.info(`analyzed ${rows} rows: ${analyzers.length} analyzers`);
      return { carry: { analyzers, rows } satisfies Carry, items: planTransform(asPlanCtx(ctx)).applyShards };
    },
    map(ctx, shard: ApplyShard, _index, carry: Carry): Promise<ApplyResult> {
      const plan = planTransform(asPlanCtx(ctx));
      const outFile = transformedShardFile(stagedExamples(ctx.scratch), shard);
      mkdirSync(splitDir(stagedExamples(ctx.scratch), shard.split), { recursive: true });
      return withModule(ctx, (modulePath) => applyShard({ ...shardBase(asPlanCtx(ctx), plan, modulePath), file: shard.file, analyzers: carry.analyzers, outFile }));
    },
  },
  async merge(mergeCtx, applied: ApplyResult[], carry: Carry) {
    const ctx = mergeCtx as unknown as Ctx;
    const plan = planTransform(ctx);
    if (applied.length !== plan.applyShards.length) throw new Error(`Transform merge got ${applied.length} partials for ${plan.applyShards.length} shards`);
    const compiled = await compileIntoGraph(ctx);
    const outUri = ctx.outputs.transformed_examples.uri;
    for (const split of plan.transformSplits) mkdirSync(splitDir(outUri, split), { recursive: true });
    // Linked, not moved: the staged shards stay until the node succeeds (the scratch folder is then
    // removed), so a retried merge finds them again.
    for (const shard of plan.applyShards) {
      const staged = transformedShardFile(stagedExamples(mergeCtx.scratch), shard);
      if (!existsSync(staged)) throw new UserError(`Transform cannot merge: the transformed shard ${staged} is missing; rerun the phase-2 map steps`, { file: staged });
      linkOrCopy(staged, transformedShardFile(outUri, shard));
    }
    ctx.log.info(`merged ${applied.length} transformed shard(s); analyzers from ${carry.rows} rows`);
    await writeTransformOutputs(ctx, plan, compiled, carry.analyzers, applied);
  },
};
