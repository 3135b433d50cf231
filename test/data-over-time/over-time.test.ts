/**
 * Spans over time on real runs: four taxi spans (same distribution, shifted fare, then a dropped
 * column, a retyped column and many new nulls), each ingested as the latest span by one run of
 * CsvExampleGen → StatisticsGen → SchemaGen → ExampleValidator; then trends, runs --metrics and
 * compare read the store.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { metadataFile } from '../../runtime/src/core/plan.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { runPipeline, type RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { ANOMALIES_FILE, type ExampleAnomaliesFile } from '../../runtime/src/formats/anomalies.ts';
import { fileTrendLoaders } from '../../runtime/src/metadata/artifact-files.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { spanTrends } from '../../runtime/src/metadata/trends.ts';
import { generateTaxiRows, TAXI_COLUMNS, type TaxiRow } from '../../samples/taxi/generate.ts';
import { spansPipeline } from '../helpers/pipelines.ts';

const ROWS = 3000;
const TSX = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
const cli = (args: string[], cwd: string) =>
  spawnSync(process.execPath, ['--import', TSX, join(process.cwd(), 'runtime/src/cli/main.ts'), ...args], { encoding: 'utf8', cwd });

function csv(rows: TaxiRow[], columns: string[]): string {
  const field = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  return [columns.join(','), ...rows.map((r) => columns.map((c) => field((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n';
}

const PIPELINE = spansPipeline('over-time', '.tributary');

type Reason = { feature: string; type: string; description: string };

function reasons(file: ExampleAnomaliesFile, split: string): Reason[] {
  return Object.entries(file.splits[split].anomalyInfo).flatMap(([feature, info]) => info.reason.map((r) => ({ feature, type: r.type, description: r.description })));
}

describe('data over time: spans through the pipeline', function () {
  this.timeout(180_000);
  let dir: string;
  let pool: WorkerPool;
  const runs: RunSummary[] = [];
  const spanRows = new Map<number, TaxiRow[]>();
  const anomaliesOf = (run: RunSummary) => {
    const node = run.nodes.find((n) => n.id === 'example_validator')!;
    assert.equal(node.state, 'COMPLETE', node.error);
    return JSON.parse(readFileSync(join(node.outputs!.anomalies.uri, ANOMALIES_FILE), 'utf8')) as ExampleAnomaliesFile;
  };
  const addSpan = (span: number, rows: TaxiRow[], columns: string[] = [...TAXI_COLUMNS]) => {
    spanRows.set(span, rows);
    mkdirSync(join(dir, 'data', `span-${span}`), { recursive: true });
    writeFileSync(join(dir, 'data', `span-${span}`, 'trips.csv'), csv(rows, columns));
  };
  const run = async () => {
    const summary = await runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { pool });
    assert.equal(summary.state, 'COMPLETE', JSON.stringify(summary.nodes.map((n) => [n.id, n.state, n.error])));
    runs.push(summary);
    return summary;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trib-over-time-'));
    writeFileSync(join(dir, 'p.pipeline.yaml'), PIPELINE);
    pool = createPool(2);
    addSpan(1, [...generateTaxiRows(ROWS, 101)]);
    await run();
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first span has nothing to compare with', () => {
    const file = anomaliesOf(runs[0]);
    assert.equal(file.spanComparison, undefined);
    assert.equal(runs[0].nodes[0].outputs!.examples.properties.span, 1);
    assert.equal(runs[0].nodes[1].outputs!.statistics.properties.span, 1);
  });

  it('an unshifted new span (other seed) is compared with span 1 and shows no drift or evolution', async () => {
    addSpan(2, [...generateTaxiRows(ROWS, 202)]);
    const summary = await run();
    assert.equal(summary.nodes[0].state, 'COMPLETE', 'a new span misses the cache');
    const file = anomaliesOf(summary);
    assert.equal(file.spanComparison?.span, 2);
    assert.equal(file.spanComparison?.previousSpan, 1);
    assert.equal(file.spanComparison?.previousStatisticsId, runs[0].nodes[1].outputs!.statistics.id);
    const overTime = reasons(file, 'train').filter((r) => r.description.includes('span 1'));
    assert.deepEqual(overTime, []);
  });

  it('a span with a shifted fare is flagged on fare only, against span 2', async () => {
    const shifted = [...generateTaxiRows(ROWS, 303)].map((r) => ({ ...r, fare: typeof r.fare === 'number' ? r.fare * 1.6 + 8 : r.fare }));
    addSpan(3, shifted);
    const file = anomaliesOf(await run());
    assert.equal(file.spanComparison?.previousSpan, 2);
    const overTime = reasons(file, 'train').filter((r) => r.description.includes('span 2'));
    assert.deepEqual(overTime.map((r) => [r.feature, r.type]), [['fare', 'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH']]);
    assert.match(overTime[0].description, /split "train" of span 2 \(statistics #\d+\) is 0\.\d+, above the threshold 0\.1/);
  });

  it('schema evolution: a dropped column, a retyped column and new nulls are flagged against span 3', async () => {
    const rows = [...generateTaxiRows(ROWS, 404)].map((r, i) => ({
      ...r,
      trip_start_hour: `h${r.trip_start_hour}`, // INT → STRING
      tips: i % 3 === 0 ? null : r.tips, // a third more missing
    }));
    addSpan(4, rows, TAXI_COLUMNS.filter((c) => c !== 'company'));
    const file = anomaliesOf(await run());
    assert.equal(file.spanComparison?.previousSpan, 3);
    const evolution = reasons(file, 'train').filter((r) => r.type.startsWith('SPAN_'));
    assert.deepEqual(
      evolution.map((r) => [r.feature, r.type]).sort(),
      [['company', 'SPAN_FEATURE_REMOVED'], ['tips', 'SPAN_MISSING_RATE_INCREASED'], ['trip_start_hour', 'SPAN_FEATURE_TYPE_CHANGED']],
    );
    assert.match(evolution.find((r) => r.feature === 'trip_start_hour')!.description, /was INT in span 3 .* and is STRING in span 4/);
    assert.match(evolution.find((r) => r.feature === 'company')!.description, /not in span 4: it was dropped or renamed upstream/);
  });

  it('trends: one row per span with statistics equal to those of the generated rows', async () => {
    const store = await MetadataStore.open(metadataFile(join(dir, '.tributary')));
    const report = spanTrends(await store.read(), 'over-time', fileTrendLoaders, { feature: 'fare' });
    assert.deepEqual(report.spans.map((s) => s.span), [1, 2, 3, 4]);
    assert.deepEqual(report.spans.map((s) => s.runId), runs.map((r) => r.runId));
    for (const s of report.spans) {
      const fares = spanRows.get(s.span)!.map((r) => r.fare).filter((f): f is number => typeof f === 'number');
      const splits = Object.values(s.features.fare);
      const count = splits.reduce((a, p) => a + p.count, 0);
      const missing = splits.reduce((a, p) => a + p.missing, 0);
      assert.equal(count, fares.length, `span ${s.span}: non-missing fares over all splits`);
      assert.equal(count + missing, ROWS);
      const mean = splits.reduce((a, p) => a + p.mean! * p.count, 0) / count;
      const expected = fares.reduce((a, f) => a + f, 0) / fares.length;
      assert.ok(Math.abs(mean - expected) < 1e-6 * Math.max(1, expected), `span ${s.span}: mean ${mean} vs ${expected}`);
      const max = Math.max(...splits.map((p) => p.max!));
      assert.equal(max, Math.max(...fares));
    }
    assert.deepEqual(report.spans[2].anomalies.filter((a) => a.split === 'train').flatMap((a) => a.types), ['COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH']);
    assert.equal(report.spans[3].comparedSpan, 3);
    // tips: missing % per span follows the nulls put in span 4.
    const tips = spanTrends(await store.read(), 'over-time', fileTrendLoaders, { feature: 'tips' }).spans.map((s) => {
      const splits = Object.values(s.features.tips);
      return splits.reduce((a, p) => a + p.missing, 0) / ROWS;
    });
    const expectedTips = [1, 2, 3, 4].map((span) => spanRows.get(span)!.filter((r) => r.tips === null).length / ROWS);
    assert.deepEqual(tips, expectedTips);
  });

  it('CLI: trends --feature prints a row per span; --json is the report; unknown features are named', () => {
    const text = cli(['trends', 'p.pipeline.yaml', '--feature', 'fare'], dir);
    assert.equal(text.status, 0, text.stderr);
    const table = text.stdout.split('\nfare (FLOAT)\n')[1].trim().split('\n');
    assert.match(table[0], /span\s+run\s+count\s+missing\s+mean\s+std\s+min\s+median\s+max\s+anomalies/);
    assert.equal(table.length, 5);
    assert.match(table[3], /^\s*3\s.*ERROR High Jensen-Shannon divergence/);
    const json = JSON.parse(cli(['trends', 'p.pipeline.yaml', '--feature', 'company', '--json'], dir).stdout);
    assert.deepEqual(json.spans.map((s: { span: number; features: object }) => [s.span, 'company' in s.features]), [[1, true], [2, true], [3, true], [4, false]]);
    const bad = cli(['trends', 'p.pipeline.yaml', '--feature', 'fair'], dir);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /No feature "fair" .*fare/);
  });

  it('CLI: runs --metrics has a row per run with its span; compare shows the span and file hash change', () => {
    const table = cli(['runs', 'p.pipeline.yaml', '--metrics'], dir);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.equal(lines.length, 1 + runs.length);
    runs.forEach((r, i) => assert.match(lines[1 + i], new RegExp(`^${r.runId}\\s+COMPLETE\\s+${i + 1}\\s`)));
    const json = JSON.parse(cli(['runs', 'p.pipeline.yaml', '--metrics', '--json'], dir).stdout);
    assert.deepEqual(json.runs.map((r: { spans: { example_gen: { span: number } } }) => r.spans.example_gen.span), [1, 2, 3, 4]);
    assert.deepEqual(json.differingParams, []);

    const compare = cli(['compare', runs[0].runId, runs[3].runId, 'p.pipeline.yaml', '--json'], dir);
    assert.equal(compare.status, 0, compare.stderr);
    const c = JSON.parse(compare.stdout);
    assert.deepEqual(c.spans, [{ key: 'example_gen', a: '1', b: '4' }]);
    assert.deepEqual(c.moduleHashes.map((d: { key: string }) => d.key), ['example_gen.input']);
    assert.deepEqual(c.params, []);
    const text = cli(['compare', runs[0].runId, runs[3].runId, 'p.pipeline.yaml'], dir);
    assert.match(text.stdout, /data spans:\n\s+node\s+a\s+b\n\s+example_gen\s+1\s+4/);
    assert.match(text.stdout, /params: same/);
    const missing = cli(['compare', runs[0].runId, 'nope', 'p.pipeline.yaml'], dir);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /No run nope/);
  });
});
