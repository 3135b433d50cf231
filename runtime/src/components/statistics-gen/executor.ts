/**
 * StatisticsGen: the shards of each split are cut into a few groups of consecutive shards; one pool
 * task per group returns partial accumulators, and partials are merged per split strictly in group
 * order (as they arrive, holding early ones back). Groups depend only on the shard list, so the
 * output is byte-identical whatever the pool size.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExamplesProperties, listShards, listSplits } from '../../formats/examples.ts';
import { SCHEMA_FILE, type Schema, type SchemaFeature } from '../../formats/schema.ts';
import { type DatasetFeatureStatisticsList, type FeatureNameStatistics, STATISTICS_FILE, STATISTICS_PB_FILE } from '../../formats/statistics.ts';
import { statisticsToPb } from '../../formats/tfx-proto.ts';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { heavyHitterCapacity, NumericAccumulator, type SketchOptions } from './accumulators/numeric.ts';
import { StringAccumulator } from './accumulators/string.ts';
import { categoricalNumericStats, numericFeatureStats, type OutputOptions, stringFeatureStats } from './feature-stats.ts';
import type { statisticsGenSpec } from './spec.ts';
import { timelineMark } from '../../util/pool-timeline.ts';
import type { FeaturePartial, ShardGroupTaskArgs, ShardPartial } from './shard.ts';

type Spec = typeof statisticsGenSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

type Accumulator = NumericAccumulator | StringAccumulator;

/**
 * Tasks per split. Few tasks keep per-task costs low (sketch set-up, partial cloning, and merging
 * on the main thread, which competes with the workers for the cores); 4 per split still gives 2
 * workers equal shares (train's groups are larger than eval's and are queued first). It is a
 * constant, never the pool size: the grouping decides the merge order and thus the output bytes.
 */
export const GROUPS_PER_SPLIT = 4;

/** Consecutive groups of near-equal length (earlier groups take the remainder). */
export function groupShards<T>(shards: T[], groups = GROUPS_PER_SPLIT): T[][] {
  const n = Math.min(groups, shards.length);
  const out: T[][] = [];
  for (let g = 0, start = 0; g < n; g++) {
    const size = Math.floor(shards.length / n) + (g < shards.length % n ? 1 : 0);
    out.push(shards.slice(start, start + size));
    start += size;
  }
  return out;
}

/** A split's statistics being merged group by group (each group's partial covers consecutive shards). */
export class SplitMerge {
  rows = 0;
  readonly features = new Map<string, Accumulator>();
  /** Shard files in merge order, cut into the groups one task each scans. */
  readonly groups: string[][];
  private next = 0;
  private readonly early = new Map<number, ShardPartial>();

  constructor(
    readonly split: string,
    readonly files: string[],
    private readonly options: SketchOptions,
  ) {
    this.groups = groupShards(files);
  }

  /** Accepts group `index`'s partial and merges every partial that is now next in order. */
  accept(index: number, partial: ShardPartial): void {
    this.early.set(index, partial);
    for (let p = this.early.get(this.next); p; p = this.early.get(this.next)) {
      this.early.delete(this.next);
      this.mergeShard(p, this.groups[this.next][0]);
      this.next++;
    }
  }

  private mergeShard(partial: ShardPartial, file: string): void {
    this.rows += partial.rows;
    for (const f of partial.features) {
      const incoming = fromPartial(f, this.options);
      const existing = this.features.get(f.name);
      if (!existing) this.features.set(f.name, incoming);
      else if (existing instanceof NumericAccumulator && incoming instanceof NumericAccumulator) existing.merge(incoming);
      else if (existing instanceof StringAccumulator && incoming instanceof StringAccumulator) existing.merge(incoming);
      else throw new UserError(`Column "${f.name}" changes type between shards of split "${this.split}" (at ${file})`, { file, field: f.name });
    }
  }
}

function fromPartial(p: FeaturePartial, options: SketchOptions): Accumulator {
  return p.kind === 'numeric' ? NumericAccumulator.fromPartial(p, options) : StringAccumulator.fromPartial(p, options);
}

/** What a run scans: the splits kept and, per split, its shard groups in merge order (shared with fan-out.ts). */
export function planScan(ctx: Ctx): { splits: string[]; options: SketchOptions; merges: SplitMerge[] } {
  const { params } = ctx;
  const examples = ctx.inputs.examples;
  const props = examples.properties as Partial<ExamplesProperties>;
  const allSplits = props.splitNames ?? listSplits(examples.uri);
  for (const s of params.exclude_splits) {
    if (!allSplits.includes(s)) ctx.log.warn(`exclude_splits names "${s}", which is not a split of the examples (${allSplits.join(', ')})`);
  }
  const splits = allSplits.filter((s) => !params.exclude_splits.includes(s));
  const options: SketchOptions = {
    distinctExactLimit: params.distinct_exact_limit,
    sketchK: params.sketch_k,
    heavyHitterCapacity: heavyHitterCapacity(params.top_k, params.distinct_exact_limit),
  };
  return { splits, options, merges: splits.map((split) => new SplitMerge(split, listShards(examples.uri, split), options)) };
}

export async function execute(ctx: Ctx): Promise<void> {
  timelineMark('statisticsGen start');
  const { splits, options, merges } = planScan(ctx);
  const items: (ShardGroupTaskArgs & { merge: SplitMerge; index: number })[] = [];
  for (const m of merges) {
    m.groups.forEach((files, index) => items.push({ files, split: m.split, ...options, merge: m, index }));
  }
  const totalShards = items.reduce((a, it) => a + it.files.length, 0);
  let done = 0;
  ctx.progress({ done, total: totalShards, unit: 'shards' });
  await ctx.pool.each<ShardGroupTaskArgs, ShardPartial>(
    'statisticsGen.scanShards',
    items.map(({ merge: _merge, index: _index, ...args }) => args),
    {
      signal: ctx.signal,
      onResult: (partial, i) => {
        items[i].merge.accept(items[i].index, partial);
        done += items[i].files.length;
        ctx.progress({ done, total: totalShards, unit: 'shards' });
      },
    },
  );
  timelineMark('statisticsGen scanned');
  await writeStatistics(ctx, splits, merges);
  timelineMark('statisticsGen written');
}

/** Turns fully merged splits into the statistics file and the artifact's properties. */
export async function writeStatistics(ctx: Ctx, splits: string[], merges: SplitMerge[]): Promise<void> {
  const { params } = ctx;
  const schema = ctx.inputs.schema ? readSchemaFeatures(ctx.inputs.schema.uri) : new Map<string, SchemaFeature>();
  const output: OutputOptions = {
    topK: params.top_k,
    numHistogramBuckets: params.num_histogram_buckets,
    numQuantilesHistogramBuckets: params.num_quantiles_histogram_buckets,
  };
  const list: DatasetFeatureStatisticsList = {
    datasets: merges.map((m) => ({
      name: m.split,
      numExamples: m.rows,
      features: [...m.features.values()].map((acc) => featureStats(acc, m.rows, schema.get(acc.name), output, ctx)),
    })),
  };
  await writeFile(join(ctx.outputs.statistics.uri, STATISTICS_FILE), JSON.stringify(list, null, 1));
  await writeFile(join(ctx.outputs.statistics.uri, STATISTICS_PB_FILE), statisticsToPb(list));
  const { span, version } = ctx.inputs.examples.properties as Partial<ExamplesProperties>;
  ctx.outputs.statistics.properties = {
    splitNames: splits,
    numExamples: Object.fromEntries(merges.map((m) => [m.split, m.rows])),
    // The data's span travels with its statistics: span-over-span comparison and trends key on it.
    ...(span !== undefined ? { span } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}

/** Statistics of one feature, with the schema's type taking precedence where it differs. */
function featureStats(acc: Accumulator, rows: number, declared: SchemaFeature | undefined, o: OutputOptions, ctx: Ctx): FeatureNameStatistics {
  if (acc instanceof StringAccumulator) {
    if (declared && declared.type !== 'BYTES') ctx.log.warn(`Schema declares "${acc.name}" ${declared.type}, but its values are strings: kept as STRING`);
    return stringFeatureStats(acc, rows, o);
  }
  if (declared?.type === 'BYTES') return categoricalNumericStats(acc, rows, 'STRING', o);
  if (declared?.intDomain?.isCategorical) return categoricalNumericStats(acc, rows, 'INT', o);
  const type = declared?.type === 'INT' || declared?.type === 'FLOAT' ? declared.type : acc.type;
  return numericFeatureStats(acc, rows, type, o);
}


function readSchemaFeatures(uri: string): Map<string, SchemaFeature> {
  const file = join(uri, SCHEMA_FILE);
  let schema: Schema;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8')) as Schema;
  } catch (err) {
    throw new UserError(`Cannot read the schema ${file}: ${(err as Error).message}`, { file });
  }
  return new Map((schema.feature ?? []).map((f) => [f.name, f]));
}
