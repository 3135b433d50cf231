/**
 * StatisticsGen: one pool task per Arrow shard returns partial accumulators; partials are merged
 * per split strictly in shard order (as they arrive, holding early ones back), so the output is
 * byte-identical whatever the pool size.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExamplesProperties, listShards } from '../../formats/examples.ts';
import { SCHEMA_FILE, type Schema, type SchemaFeature } from '../../formats/schema.ts';
import { type DatasetFeatureStatisticsList, type FeatureNameStatistics, STATISTICS_FILE } from '../../formats/statistics.ts';
import { type ExecutorContext, UserError } from '../../registry/types.ts';
import { heavyHitterCapacity, NumericAccumulator, type SketchOptions } from './accumulators/numeric.ts';
import { StringAccumulator } from './accumulators/string.ts';
import { categoricalNumericStats, numericFeatureStats, type OutputOptions, stringFeatureStats } from './feature-stats.ts';
import type { statisticsGenSpec } from './spec.ts';
import type { FeaturePartial, ShardPartial, ShardTaskArgs } from './shard.ts';

type Spec = typeof statisticsGenSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

type Accumulator = NumericAccumulator | StringAccumulator;

/** A split's statistics being merged shard by shard. */
class SplitMerge {
  rows = 0;
  readonly features = new Map<string, Accumulator>();
  private next = 0;
  private readonly early = new Map<number, ShardPartial>();

  constructor(
    readonly split: string,
    readonly files: string[],
    private readonly options: SketchOptions,
  ) {}

  /** Accepts shard `index`'s partial and merges every partial that is now next in order. */
  accept(index: number, partial: ShardPartial): void {
    this.early.set(index, partial);
    for (let p = this.early.get(this.next); p; p = this.early.get(this.next)) {
      this.early.delete(this.next);
      this.mergeShard(p, this.files[this.next]);
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

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const examples = ctx.inputs.examples;
  const props = examples.properties as Partial<ExamplesProperties>;
  const allSplits = props.splitNames ?? splitsOnDisk(examples.uri);
  for (const s of params.exclude_splits) {
    if (!allSplits.includes(s)) ctx.log.warn(`exclude_splits names "${s}", which is not a split of the examples (${allSplits.join(', ')})`);
  }
  const splits = allSplits.filter((s) => !params.exclude_splits.includes(s));
  const options: SketchOptions = {
    distinctExactLimit: params.distinct_exact_limit,
    sketchK: params.sketch_k,
    heavyHitterCapacity: heavyHitterCapacity(params.top_k, params.distinct_exact_limit),
  };

  const merges = splits.map((split) => new SplitMerge(split, shardsOf(examples.uri, split), options));
  const items: (ShardTaskArgs & { merge: SplitMerge; index: number })[] = [];
  for (const m of merges) {
    m.files.forEach((file, index) => items.push({ file, ...options, merge: m, index }));
  }
  let done = 0;
  ctx.progress({ done, total: items.length, unit: 'shards' });
  await ctx.pool.map<ShardTaskArgs, ShardPartial>(
    'statisticsGen.scanShard',
    items.map(({ merge: _merge, index: _index, ...args }) => args),
    {
      signal: ctx.signal,
      onResult: (partial, i) => {
        items[i].merge.accept(items[i].index, partial);
        ctx.progress({ done: ++done, total: items.length, unit: 'shards' });
      },
    },
  );

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
  ctx.outputs.statistics.properties = {
    splitNames: splits,
    numExamples: Object.fromEntries(merges.map((m) => [m.split, m.rows])),
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

function splitsOnDisk(uri: string): string[] {
  if (!existsSync(uri)) throw new UserError(`Examples folder ${uri} does not exist`, { file: uri });
  return readdirSync(uri)
    .filter((d) => d.startsWith('Split-'))
    .map((d) => d.slice('Split-'.length))
    .sort();
}

function shardsOf(uri: string, split: string): string[] {
  try {
    return listShards(uri, split);
  } catch (err) {
    throw new UserError(`Cannot list the shards of split "${split}" in ${uri}: ${(err as Error).message}`, { file: uri });
  }
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
