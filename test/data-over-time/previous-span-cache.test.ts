/**
 * ExampleValidator compares a span with the previous span's statistics, which it takes from the
 * metadata store rather than from a wired input. That baseline must be part of its cache key: when
 * an older span is ingested later (or re-ingested at a new version), the latest span's validator
 * has to run again and compare with the new baseline, while an unchanged rerun stays cached.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metadataFile } from '../../runtime/src/core/plan.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { ANOMALIES_FILE, type ExampleAnomaliesFile } from '../../runtime/src/formats/anomalies.ts';
import { lineage } from '../../runtime/src/metadata/report.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { generateTaxiRows, TAXI_COLUMNS, type TaxiRow } from '../../samples/taxi/generate.ts';
import { VALIDATION_NODES } from '../helpers/pipelines.ts';
import { pipelineRuns } from '../helpers/pipeline-runs.ts';

const ROWS = 2000;

const nodes = (exampleGenParams: string) => `root: .tributary
nodes:
  example_gen:
    component: CsvExampleGen
    params:
      input: data/span-{SPAN}/v{VERSION}/trips.csv
${exampleGenParams}
${VALIDATION_NODES}`;
// Two files of one pipeline (same name and root, so one store): the latest span, and a backfill of span 1.
const LATEST = `name: spans\n${nodes('')}`;
const BACKFILL = `name: spans\n${nodes('      span_range: { start: 1, end: 1 }')}`;

function csv(rows: TaxiRow[]): string {
  const field = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  return [TAXI_COLUMNS.join(','), ...rows.map((r) => TAXI_COLUMNS.map((c) => field((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n';
}

describe('ExampleValidator cache: the previous span it resolves from the store is part of its key', function () {
  this.timeout(240_000);
  let dir: string;
  let pool: WorkerPool;

  const writeSpan = (span: number, version: number, rows: TaxiRow[]) => {
    mkdirSync(join(dir, 'data', `span-${span}`, `v${version}`), { recursive: true });
    writeFileSync(join(dir, 'data', `span-${span}`, `v${version}`, 'trips.csv'), csv(rows));
  };
  const { run, states, node, inputEvents } = pipelineRuns(() => ({ dir, pool }));
  const anomalies = (s: RunSummary) =>
    JSON.parse(readFileSync(join(node(s, 'example_validator').outputs!.anomalies.uri, ANOMALIES_FILE), 'utf8')) as ExampleAnomaliesFile;
  const fareReasons = (file: ExampleAnomaliesFile) => (file.splits.train.anomalyInfo.fare?.reason ?? []).map((r) => `${r.type}: ${r.description}`);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-prev-span-cache-'));
    writeFileSync(join(dir, 'latest.pipeline.yaml'), LATEST);
    writeFileSync(join(dir, 'backfill.pipeline.yaml'), BACKFILL);
    pool = createPool(2);
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let latestStatisticsId: number;

  it('span 2 alone: validated with no previous span; a rerun is fully cached', async () => {
    writeSpan(2, 1, [...generateTaxiRows(ROWS, 2)]);
    const first = await run('latest.pipeline.yaml');
    assert.equal(node(first, 'example_validator').state, 'COMPLETE');
    assert.equal(anomalies(first).spanComparison, undefined);
    latestStatisticsId = node(first, 'statistics_gen').outputs!.statistics.id;
    const again = await run('latest.pipeline.yaml');
    assert.deepEqual(Object.values(states(again)), ['CACHED', 'CACHED', 'CACHED', 'CACHED']);
  });

  it('span 1 ingested later: the span-2 validator runs again and compares with it', async () => {
    writeSpan(1, 1, [...generateTaxiRows(ROWS, 1)]); // same distribution as span 2
    const backfill = await run('backfill.pipeline.yaml');
    const span1 = node(backfill, 'statistics_gen').outputs!.statistics;
    assert.equal(span1.properties.span, 1);

    const latest = await run('latest.pipeline.yaml');
    assert.deepEqual(states(latest), { example_gen: 'CACHED', statistics_gen: 'CACHED', schema_gen: 'CACHED', example_validator: 'COMPLETE' });
    const file = anomalies(latest);
    assert.deepEqual(file.spanComparison, { span: 2, version: 1, previousSpan: 1, previousVersion: 1, previousStatisticsId: span1.id });
    assert.deepEqual(fareReasons(file).filter((r) => r.includes('span 1')), [], 'same distribution: no drift against span 1');
    // Lineage: the resolved baseline is an input of the execution, beside the wired ones.
    assert.deepEqual(await inputEvents(node(latest, 'example_validator').executionId!), {
      statistics: latestStatisticsId,
      schema: node(latest, 'schema_gen').outputs!.schema.id,
      previous_statistics: span1.id,
    });
    const data = await (await MetadataStore.open(metadataFile(join(dir, '.tributary')))).read();
    const behind = lineage(data, node(latest, 'example_validator').outputs!.anomalies.id)!;
    assert.deepEqual(behind.inputs.map((i) => [i.key, i.step.artifact.id]).sort(), [
      ['previous_statistics', span1.id],
      ['schema', node(latest, 'schema_gen').outputs!.schema.id],
      ['statistics', latestStatisticsId],
    ]);

    const again = await run('latest.pipeline.yaml');
    assert.deepEqual(Object.values(states(again)), ['CACHED', 'CACHED', 'CACHED', 'CACHED']);
    assert.deepEqual(anomalies(again).spanComparison?.previousStatisticsId, span1.id);
    assert.equal((await inputEvents(node(again, 'example_validator').executionId!)).previous_statistics, span1.id, 'a cache hit records its baseline too');
  });

  it('span 1 re-ingested at version 2 with a shifted fare: the span-2 validator compares with version 2 and flags fare', async () => {
    const shifted = [...generateTaxiRows(ROWS, 1)].map((r) => ({ ...r, fare: typeof r.fare === 'number' ? r.fare * 1.6 + 8 : r.fare }));
    writeSpan(1, 2, shifted);
    const backfill = await run('backfill.pipeline.yaml');
    assert.equal(node(backfill, 'example_gen').state, 'COMPLETE', 'a new version of span 1 is new data');
    const span1v2 = node(backfill, 'statistics_gen').outputs!.statistics;
    assert.deepEqual([span1v2.properties.span, span1v2.properties.version], [1, 2]);

    const latest = await run('latest.pipeline.yaml');
    assert.deepEqual(states(latest), { example_gen: 'CACHED', statistics_gen: 'CACHED', schema_gen: 'CACHED', example_validator: 'COMPLETE' });
    const file = anomalies(latest);
    assert.deepEqual(file.spanComparison, { span: 2, version: 1, previousSpan: 1, previousVersion: 2, previousStatisticsId: span1v2.id });
    const drift = fareReasons(file).filter((r) => r.includes('span 1 version 2'));
    assert.equal(drift.length, 1, fareReasons(file).join('\n'));
    assert.match(drift[0], new RegExp(`^COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH: .*span 1 version 2 \\(statistics #${span1v2.id}\\)`));

    const again = await run('latest.pipeline.yaml');
    assert.deepEqual(Object.values(states(again)), ['CACHED', 'CACHED', 'CACHED', 'CACHED']);
  });
});
