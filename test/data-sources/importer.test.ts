import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { statisticsFromPb, statisticsToPb } from '../../runtime/src/formats/tfx-proto.ts';
import { tempDir } from '../csv-example-gen/helpers.ts';

function taxiCsv(rows: number, shift: number): string {
  const lines = ['hour,fare,company'];
  for (let i = 0; i < rows; i++) lines.push(`${(i + shift) % 24},${((i * 37) % 400) / 8 + shift * 10},${['Blue', 'Zöne', 'Co'][(i + shift) % 3]}`);
  return lines.join('\n') + '\n';
}

const TFX_SCHEMA = `feature {
  name: "hour"
  type: INT
  int_domain { min: 0 max: 23 }
  presence { min_fraction: 1.0 }
}
feature {
  name: "fare"
  type: FLOAT
}
feature {
  name: "company"
  type: BYTES
  domain: "company"
}
string_domain {
  name: "company"
  value: "Blue"
  value: "Co"
}
`;

describe('Importer', () => {
  let pool: WorkerPool;
  let dir: string;
  before(() => {
    pool = createPool(2);
    dir = tempDir('importer-');
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pipeline = (nodes: string) => `name: importer-test\nroot: .tributary\nnodes:\n${nodes}`;
  const run = async (file: string) => runPipeline(await loadPlanOrThrow(join(dir, file)), { pool });

  it('wires a TFDV baseline (FeatureStats.pb per split, as TFX writes) and a TFX schema.pbtxt into ExampleValidator', async () => {
    writeFileSync(join(dir, 'baseline.csv'), taxiCsv(600, 0));
    writeFileSync(join(dir, 'today.csv'), taxiCsv(600, 5));
    writeFileSync(join(dir, 'schema.pbtxt'), TFX_SCHEMA);
    // The baseline's statistics, made once by a pipeline and laid out as TFX's StatisticsGen does:
    // Split-<name>/FeatureStats.pb holding one unnamed dataset each.
    writeFileSync(
      join(dir, 'make-baseline.pipeline.yaml'),
      pipeline(`  gen:\n    component: CsvExampleGen\n    params: { input: baseline.csv }\n  stats:\n    component: StatisticsGen\n    inputs: { examples: gen.examples }\n`),
    );
    const made = await run('make-baseline.pipeline.yaml');
    assert.equal(made.state, 'COMPLETE');
    const statsUri = made.nodes.find((n) => n.id === 'stats')!.outputs!.statistics.uri;
    const all = statisticsFromPb(readFileSync(join(statsUri, 'FeatureStats.pb')));
    for (const ds of all.datasets) {
      mkdirSync(join(dir, 'tfdv', `Split-${ds.name}`), { recursive: true });
      writeFileSync(join(dir, 'tfdv', `Split-${ds.name}`, 'FeatureStats.pb'), statisticsToPb({ datasets: [{ ...ds, name: '' }] }));
    }

    writeFileSync(
      join(dir, 'validate.pipeline.yaml'),
      pipeline(`  gen:
    component: CsvExampleGen
    params: { input: today.csv }
  stats:
    component: StatisticsGen
    inputs: { examples: gen.examples }
  baseline:
    component: Importer
    params: { source: tfdv, artifact_type: ExampleStatistics }
  tfx_schema:
    component: Importer
    params: { source: schema.pbtxt, artifact_type: Schema }
  validator:
    component: ExampleValidator
    inputs: { statistics: stats.statistics, schema: tfx_schema.result, baseline_statistics: baseline.result }
`),
    );
    const summary = await run('validate.pipeline.yaml');
    assert.equal(summary.state, 'COMPLETE', JSON.stringify(summary.nodes.map((n) => [n.id, n.state, n.error])));
    const baseline = summary.nodes.find((n) => n.id === 'baseline')!;
    assert.equal(baseline.outputs!.result.type, 'ExampleStatistics');
    assert.deepEqual(baseline.outputs!.result.properties.splitNames, ['eval', 'train']);
    assert.match(String(baseline.outputs!.result.properties.contentHash), /^[0-9a-f]{64}$/);
    const anomalies = JSON.parse(readFileSync(join(summary.nodes.find((n) => n.id === 'validator')!.outputs!.anomalies.uri, 'anomalies.json'), 'utf8'));
    const text = JSON.stringify(anomalies);
    assert.match(text, /Zöne/, 'the TFX schema\'s string domain flags the value it lacks');
    assert.match(text, /drift|Drift|jensen|JSD|divergence/i, 'the shifted fares drift from the TFDV baseline');

    // A changed source is a new artifact; the same source is served from the cache.
    const again = await run('validate.pipeline.yaml');
    assert.equal(again.nodes.find((n) => n.id === 'baseline')!.state, 'CACHED');
    writeFileSync(join(dir, 'schema.pbtxt'), TFX_SCHEMA.replace('value: "Co"', 'value: "Co"\n  value: "Zöne"'));
    const changed = await run('validate.pipeline.yaml');
    const before = summary.nodes.find((n) => n.id === 'tfx_schema')!.outputs!.result;
    const after = changed.nodes.find((n) => n.id === 'tfx_schema')!.outputs!.result;
    assert.notEqual(after.id, before.id);
    assert.notEqual(after.properties.contentHash, before.properties.contentHash);
  });

  it('checks the type of its output where it is wired, and the content for the type', async () => {
    writeFileSync(
      join(dir, 'wrong.pipeline.yaml'),
      pipeline(`  s:\n    component: Importer\n    params: { source: schema.pbtxt, artifact_type: Schema }\n  v:\n    component: SchemaGen\n    inputs: { statistics: s.result }\n`),
    );
    await assert.rejects(loadPlanOrThrow(join(dir, 'wrong.pipeline.yaml')), (e: any) =>
      e.diagnostics.some((d: { message: string }) => /expects ExampleStatistics, but "s\.result" is Schema/.test(d.message)),
    );
    writeFileSync(join(dir, 'bad.pipeline.yaml'), pipeline(`  s:\n    component: Importer\n    params: { source: schema.pbtxt, artifact_type: ExampleStatistics }\n`));
    const bad = await run('bad.pipeline.yaml');
    assert.equal(bad.state, 'FAILED');
    assert.match(String(bad.nodes[0].error), /schema\.pbtxt: not a binary DatasetFeatureStatisticsList/);
  });
});
