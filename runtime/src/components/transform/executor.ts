/**
 * Transform: compiles the user's module into the TransformGraph output, then two passes over the
 * shards on the pool — analyze (partials per shard, merged in shard order, then finalized) and
 * apply (transformed Arrow shards) — and finally writes transform_graph.json.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ColumnInfo, type ExamplesProperties, listShards, listSplits, shardFileName, splitDir } from '../../formats/examples.ts';
import { SCHEMA_FILE, type Schema } from '../../formats/schema.ts';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import type { AnalyzerRecord, TransformGraphJson } from '../../ml/api.ts';
import { finalizePartial, mergePartialRecords, type PartialRecord } from '../../ml/analyzers.ts';
import { type CompiledModule, compileUserModule } from '../../modules/compile-module.ts';
import { findWorkspaceRoot } from '../../util/paths.ts';
import { mergeOutputDescriptions, type RawFeature, TRANSFORM_GRAPH_FILE, TRANSFORM_MODULE_FILE } from '../../ml/transform-graph.ts';
import type { transformSpec } from './spec.ts';
import type { AnalyzeResult, ApplyArgs, ApplyResult, ShardArgs } from './tasks.ts';

type Spec = typeof transformSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;
/** What planning reads: params, inputs and paths (a fan-out map step's context has them too). */
export type PlanCtx = Pick<Ctx, 'params' | 'inputs'>;

/** One shard to transform: its raw file and where its output goes (split folder, shard index). */
export interface ApplyShard {
  split: string;
  index: number;
  file: string;
}

/** What a Transform run reads and writes, decided before any user code runs (shared with fan-out.ts). */
export interface TransformPlan {
  transformSplits: string[];
  rawFeatures: RawFeature[];
  /** Raw shards the analyzers read, in merge order. */
  analyzeFiles: string[];
  /** Raw shards to transform, split by split in shard order. */
  applyShards: ApplyShard[];
}

export function planTransform(ctx: PlanCtx): TransformPlan {
  const { params } = ctx;
  const examples = ctx.inputs.examples;
  const props = examples.properties as Partial<ExamplesProperties>;
  const allSplits = props.splitNames ?? listSplits(examples.uri);
  for (const s of params.analyze_splits) {
    if (!allSplits.includes(s)) throw new UserError(`analyze_splits names "${s}", which is not a split of the examples (${allSplits.join(', ')})`, { field: 'analyze_splits' });
  }
  const transformSplits = params.transform_splits.length ? params.transform_splits : allSplits;
  for (const s of transformSplits) {
    if (!allSplits.includes(s)) throw new UserError(`transform_splits names "${s}", which is not a split of the examples (${allSplits.join(', ')})`, { field: 'transform_splits' });
  }
  return {
    transformSplits,
    rawFeatures: rawFeaturesOf(readSchema(ctx.inputs.schema.uri), props.columns ?? []),
    analyzeFiles: params.analyze_splits.flatMap((split) => listShards(examples.uri, split)),
    applyShards: transformSplits.flatMap((split) => listShards(examples.uri, split).map((file, index) => ({ split, index, file }))),
  };
}

/** The pool tasks' common arguments, for a module compiled to `modulePath`. */
export function shardBase(ctx: PlanCtx, plan: TransformPlan, modulePath: string): Omit<ShardArgs, 'file'> {
  return { modulePath, exportName: ctx.params.preprocessing_fn, rawFeatures: plan.rawFeatures };
}

/**
 * Analyzer partials folded strictly in shard order as the shards finish (the pool hands them over
 * in any order): only the partials of shards that finished ahead of an earlier one wait, so the
 * memory does not grow with the number of shards.
 */
export class AnalysisMerge {
  private rows = 0;
  private merged: PartialRecord[] | undefined;
  private next = 0;
  private readonly early = new Map<number, AnalyzeResult>();

  accept(index: number, result: AnalyzeResult): void {
    this.early.set(index, result);
    for (let r = this.early.get(this.next); r; r = this.early.get(this.next)) {
      this.early.delete(this.next++);
      this.rows += r.rows;
      this.merged = this.merged ? mergePartialRecords([this.merged, r.partials]) : r.partials;
    }
  }

  /** The finalized analyzers, once every shard is in. */
  finish(shards: number): { analyzers: AnalyzerRecord[]; rows: number } {
    if (this.next !== shards) throw new Error(`Transform analysis merged ${this.next} of ${shards} shards`);
    return { analyzers: (this.merged ?? []).map(finalizePartial), rows: this.rows };
  }
}

/** Analyzer partials of every shard, merged strictly in shard order, then finalized. */
export function finishAnalysis(partials: AnalyzeResult[]): { analyzers: AnalyzerRecord[]; rows: number } {
  const merge = new AnalysisMerge();
  partials.forEach((p, i) => merge.accept(i, p));
  return merge.finish(partials.length);
}

/** Where a transformed shard goes under an Examples folder. */
export function transformedShardFile(uri: string, shard: ApplyShard): string {
  return join(splitDir(uri, shard.split), shardFileName(shard.index));
}

/** Compiles the user's module into the TransformGraph output, where serving loads it from. */
export function compileIntoGraph(ctx: Ctx): Promise<CompiledModule> {
  return compileUserModule(ctx.resolvePath(ctx.params.module_file), { outFile: join(ctx.outputs.transform_graph.uri, TRANSFORM_MODULE_FILE), workspaceRoot: findWorkspaceRoot(ctx.pipelineDir) });
}

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const started = Date.now();
  const plan = planTransform(ctx);
  const compiled = await compileIntoGraph(ctx);
  ctx.log.info(`compiled ${params.module_file} (${compiled.hash.slice(0, 12)}); raw features: ${plan.rawFeatures.length}`);

  const timeoutSignal = params.timeout > 0 ? AbortSignal.timeout(params.timeout * 1000) : undefined;
  const signal = timeoutSignal ? AbortSignal.any([ctx.signal, timeoutSignal]) : ctx.signal;
  const base = shardBase(ctx, plan, compiled.path);
  const outUri = ctx.outputs.transformed_examples.uri;
  const total = plan.analyzeFiles.length + plan.applyShards.length;
  let done = 0;
  const progress = () => ctx.progress({ done: ++done, total, unit: 'shards' });
  ctx.progress({ done, total, unit: 'shards' });

  try {
    // Pass 1: analyzer partials per shard, merged strictly in shard order.
    const analyzeItems: ShardArgs[] = plan.analyzeFiles.map((file) => ({ ...base, file }));
    const analysis = new AnalysisMerge();
    await ctx.pool.each<ShardArgs, AnalyzeResult>('transform.analyzeShard', analyzeItems, {
      signal,
      onResult: (partial, i) => {
        analysis.accept(i, partial);
        progress();
      },
    });
    const { analyzers, rows } = analysis.finish(analyzeItems.length);
    ctx.log.info(`analyzed ${rows} rows of ${params.analyze_splits.join(', ')}: ${analyzers.length} analyzers (${Date.now() - started} ms)`);

    // Pass 2: transform every shard with the results.
    for (const split of plan.transformSplits) mkdirSync(splitDir(outUri, split), { recursive: true });
    const applyItems: ApplyArgs[] = plan.applyShards.map((shard) => ({ ...base, file: shard.file, analyzers, outFile: transformedShardFile(outUri, shard) }));
    const applied = await ctx.pool.map<ApplyArgs, ApplyResult>('transform.applyShard', applyItems, { signal, onResult: progress });
    await writeTransformOutputs(ctx, plan, compiled, analyzers, applied);
    ctx.log.info(`transformed ${plan.transformSplits.length} split(s) (${Date.now() - started} ms)`);
  } catch (e) {
    if (timeoutSignal?.aborted && !ctx.signal.aborted) {
      throw new UserError(`Transform exceeded its timeout of ${params.timeout} s: its worker threads were terminated`, { field: 'timeout' });
    }
    throw e;
  }
}

/**
 * With the transformed shards in place: checks the label, writes transform_graph.json and sets both
 * outputs' properties. `applied` is in the plan's applyShards order.
 */
export async function writeTransformOutputs(ctx: Ctx, plan: TransformPlan, compiled: CompiledModule, analyzers: AnalyzerRecord[], applied: ApplyResult[]): Promise<void> {
  const { params } = ctx;
  const outputFeatures = mergeOutputDescriptions(applied.flatMap((a) => a.outputs));
  if (params.label !== undefined && !outputFeatures.some((f) => f.name === params.label)) {
    throw new UserError(`label "${params.label}" is not an output of ${params.preprocessing_fn} (outputs: ${outputFeatures.map((f) => f.name).join(', ')})`, { field: 'label' });
  }
  const graph: TransformGraphJson = {
    formatVersion: 1,
    module: { file: TRANSFORM_MODULE_FILE, exportName: params.preprocessing_fn, sourceHash: compiled.hash },
    analyzers,
    rawFeatures: plan.rawFeatures,
    outputFeatures,
    ...(params.label !== undefined ? { label: params.label } : {}),
  };
  await writeFile(join(ctx.outputs.transform_graph.uri, TRANSFORM_GRAPH_FILE), JSON.stringify(graph, null, 1));

  const splits: ExamplesProperties['splits'] = {};
  plan.transformSplits.forEach((split) => {
    const idx = plan.applyShards.flatMap((s, i) => (s.split === split ? [i] : []));
    splits[split] = { rows: idx.reduce((n, i) => n + applied[i].rows, 0), shards: idx.map((i) => shardFileName(plan.applyShards[i].index)) };
  });
  const columns: ColumnInfo[] = outputFeatures.map((f) => ({ name: f.name, type: f.dtype === 'int32' ? 'INT' : 'FLOAT' }));
  ctx.outputs.transformed_examples.properties = { splitNames: plan.transformSplits, splits, columns, skippedRows: 0 } satisfies ExamplesProperties;
  ctx.outputs.transform_graph.properties = {
    sourceHash: compiled.hash,
    analyzers: analyzers.length,
    outputFeatures: outputFeatures.length,
    ...(params.label !== undefined ? { label: params.label } : {}),
  };
  ctx.log.info(`transformed ${plan.transformSplits.map((s) => `${s}: ${splits[s].rows} rows`).join(', ')} into ${outputFeatures.length} features`);
}

/** Raw features: the schema's (BYTES → STRING), in the examples' column order, then schema-only ones. */
function rawFeaturesOf(schema: Schema, columns: ColumnInfo[]): RawFeature[] {
  const declared = new Map((schema.feature ?? []).filter((f) => !f.deprecated).map((f) => [f.name, f]));
  const out: RawFeature[] = [];
  const typeOf = (t: string): RawFeature['type'] => (t === 'BYTES' ? 'STRING' : (t as RawFeature['type']));
  // A list feature: a list column, or a schema-only feature whose valueCount allows other than one value.
  const listOf = (f: Schema['feature'][number] | undefined, c?: ColumnInfo): Pick<RawFeature, 'list' | 'valueCount'> => {
    const list = c?.list ?? (f?.valueCount !== undefined && !(f.valueCount.min === 1 && f.valueCount.max === 1));
    return list ? { list: true, ...(f?.valueCount ? { valueCount: f.valueCount } : {}) } : {};
  };
  for (const c of columns) {
    const f = declared.get(c.name);
    out.push({ name: c.name, type: f ? typeOf(f.type) : c.type, ...listOf(f, c) });
    declared.delete(c.name);
  }
  for (const f of declared.values()) out.push({ name: f.name, type: typeOf(f.type), ...listOf(f) });
  return out;
}

function readSchema(uri: string): Schema {
  const file = join(uri, SCHEMA_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Schema;
  } catch (err) {
    throw new UserError(`Cannot read the schema ${file}: ${(err as Error).message}`, { file });
  }
}

