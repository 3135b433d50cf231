/** StatisticsGen and SchemaGen run on hand-built contexts, for the data-source tests. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute as statisticsGen } from '../../runtime/src/components/statistics-gen/executor.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { DatasetFeatureStatisticsList } from '../../runtime/src/formats/statistics.ts';

export async function runStatisticsGen(pool: WorkerPool, examplesUri: string, splitNames: string[]): Promise<{ uri: string; json: DatasetFeatureStatisticsList }> {
  const uri = mkdtempSync(join(tmpdir(), 'ds-stats-'));
  const ctx: any = {
    nodeId: 'stats',
    params: { exclude_splits: [], top_k: 20, num_histogram_buckets: 10, num_quantiles_histogram_buckets: 10, distinct_exact_limit: 10_000, sketch_k: 200 },
    inputs: { examples: { id: 1, type: 'Examples', uri: examplesUri, properties: { splitNames } }, schema: undefined },
    outputs: { statistics: { type: 'ExampleStatistics', uri, properties: {} } },
    pool,
    log: { info() {}, warn() {}, error() {} },
    progress() {},
    signal: new AbortController().signal,
  };
  await statisticsGen(ctx);
  return { uri, json: JSON.parse(readFileSync(join(uri, 'FeatureStats.json'), 'utf8')) };
}
