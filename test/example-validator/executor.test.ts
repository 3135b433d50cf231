import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exampleValidator } from '../../runtime/src/components/example-validator/index.ts';
import { execute } from '../../runtime/src/components/example-validator/executor.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { ANOMALIES_FILE, type ExampleAnomaliesFile } from '../../runtime/src/formats/anomalies.ts';
import { SCHEMA_FILE, type Schema } from '../../runtime/src/formats/schema.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { type Ports } from '../../runtime/src/core/component.ts';
import { makeContext } from '../schema-gen/executor-context.ts';
import { dataset, numFeature, repeat, strFeature, tempDir, writeStatisticsArtifact } from '../schema-gen/stats-fixtures.ts';

const params = { exclude_splits: [], linf_threshold: 0.1, jsd_threshold: 0.1, fail_on_error: false };

const schema: Schema = {
  feature: [
    { name: 'trips', type: 'INT', presence: { minFraction: 1, minCount: 1 }, intDomain: { min: 0, max: 10 } },
    { name: 'payment', type: 'BYTES', presence: { minFraction: 1, minCount: 1 }, domain: 'payment' },
  ],
  stringDomain: [{ name: 'payment', value: ['card', 'cash'] }],
};

const trainFeatures = () => [numFeature('trips', 'INT', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), strFeature('payment', repeat({ card: 5, cash: 5 }))];

describe('ExampleValidator executor', () => {
  let pool: WorkerPool;
  let root: string;
  let schemaUri: string;
  before(() => {
    pool = createPool(1);
  });
  after(async () => {
    await pool.close();
  });
  beforeEach(() => {
    root = tempDir('example-validator');
    schemaUri = join(root, 'schema');
    mkdirSync(schemaUri);
    writeFileSync(join(schemaUri, SCHEMA_FILE), JSON.stringify(schema));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = async (statsUri: string, extra: Record<string, unknown> = {}, baselineUri?: string) => {
    const { ctx, log } = makeContext({
      root,
      pool,
      params: { ...params, ...extra },
      inputs: {
        statistics: { type: 'ExampleStatistics', uri: statsUri },
        schema: { type: 'Schema', uri: schemaUri },
        baseline_statistics: baselineUri ? { type: 'ExampleStatistics', uri: baselineUri } : undefined,
      },
      outputs: { anomalies: 'ExampleAnomalies' },
    });
    const file = join(ctx.outputs.anomalies.uri, ANOMALIES_FILE);
    try {
      await execute(ctx);
    } finally {
      ctx.outputs.anomalies.properties.written = existsSync(file);
    }
    return { anomalies: JSON.parse(readFileSync(file, 'utf8')) as ExampleAnomaliesFile, properties: ctx.outputs.anomalies.properties, log };
  };

  it('is registered with the TFX ports', () => {
    const spec = exampleValidator.spec;
    assert.equal(spec.type, 'ExampleValidator');
    assert.deepEqual(Object.entries(spec.inputs as Ports).map(([k, v]) => [k, v.type, v.optional ?? false]), [
      ['statistics', 'ExampleStatistics', false],
      ['schema', 'Schema', false],
      ['baseline_statistics', 'ExampleStatistics', true],
    ]);
    assert.equal(spec.outputs.anomalies.type, 'ExampleAnomalies');
  });

  it('writes anomalies.json per split with drift on eval against train, and counts them', async () => {
    const statsUri = writeStatisticsArtifact(root, 'stats', [
      dataset('train', 10, trainFeatures()),
      // eval: trips out of range and shifted, a new payment value (also drifting), an unexpected column.
      dataset('eval', 10, [
        numFeature('trips', 'INT', [9, 9, 10, 10, 10, 10, 11, 12, 12, 12]),
        strFeature('payment', repeat({ card: 2, cash: 2, mobile: 6 })),
        strFeature('note', repeat({ x: 10 })),
      ]),
    ]);
    const { anomalies, properties, log } = await run(statsUri);
    assert.deepEqual(Object.keys(anomalies.splits), ['train', 'eval']);
    assert.deepEqual(anomalies.splits.train, { anomalyInfo: {} });
    const evalInfo = anomalies.splits.eval.anomalyInfo;
    assert.deepEqual(Object.keys(evalInfo).sort(), ['note', 'payment', 'trips']);
    assert.deepEqual(evalInfo.trips.reason.map((r) => r.type), ['INT_TYPE_BIG_INT', 'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH']);
    assert.deepEqual(evalInfo.payment.reason.map((r) => r.type), ['ENUM_TYPE_UNEXPECTED_STRING_VALUES', 'COMPARATOR_L_INFTY_HIGH']);
    // L-inf: mobile 0.6 vs 0 is the largest difference.
    assert.match(evalInfo.payment.reason[1].description, /is 0\.6000, above the threshold 0\.1\. The most different value is "mobile": 60\.0% vs 0\.0%/);
    assert.deepEqual(evalInfo.note.reason.map((r) => r.type), ['SCHEMA_NEW_COLUMN']);

    const infos = Object.values(anomalies.splits).flatMap((s) => Object.values(s.anomalyInfo));
    assert.deepEqual(properties, {
      anomalyCount: infos.length,
      errorCount: infos.filter((i) => i.severity === 'ERROR').length,
      warningCount: infos.filter((i) => i.severity === 'WARNING').length,
      splits: ['train', 'eval'],
      written: true,
    });
    assert.equal(properties.anomalyCount, 3);
    assert.match(log.warn.join('\n'), /3 anomalies \(3 errors, 0 warnings\) in 2 splits, 1 drift comparisons/);
    assert.match(log.info.join('\n'), /Split "eval": 3 anomalies[\s\S]*ERROR +payment: Multiple anomalies/);
  });

  it('compares with baseline_statistics split by split, and honours drift: [] and exclude_splits', async () => {
    const statsUri = writeStatisticsArtifact(root, 'stats', [dataset('train', 10, trainFeatures()), dataset('eval', 10, trainFeatures())]);
    const baselineUri = writeStatisticsArtifact(root, 'baseline', [
      dataset('train', 10, [numFeature('trips', 'INT', [1, 1, 1, 1, 1, 1, 1, 1, 1, 10]), strFeature('payment', repeat({ card: 9, cash: 1 }))]),
    ]);
    const { anomalies, properties, log } = await run(statsUri, { drift: [], exclude_splits: ['eval'] }, baselineUri);
    assert.deepEqual(properties.splits, ['train']);
    assert.deepEqual(Object.keys(anomalies.splits), ['train']);
    const info = anomalies.splits.train.anomalyInfo;
    assert.deepEqual(Object.keys(info).sort(), ['payment', 'trips']);
    assert.match(info.payment.description, /between split "train" and split "train" of baseline_statistics is 0\.4000/);
    assert.equal(info.trips.reason[0].type, 'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH');
    assert.doesNotMatch(log.warn.join('\n'), /baseline_statistics have no split/);

    // Same data, no baseline, no drift pairs: nothing to report.
    const clean = await run(statsUri, { drift: [] });
    assert.deepEqual(clean.properties, { anomalyCount: 0, errorCount: 0, warningCount: 0, splits: ['train', 'eval'], written: true });
  });

  it('rejects drift pairs naming unknown splits', async () => {
    const statsUri = writeStatisticsArtifact(root, 'stats', [dataset('train', 10, trainFeatures())]);
    await assert.rejects(run(statsUri, { drift: [{ baseline: 'train', current: 'serving' }] }), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /drift\[0\] names split "serving", which is not in the statistics \("train"\)/);
      return true;
    });
  });

  it('with fail_on_error, fails with a summary of the errors and writes nothing', async () => {
    const statsUri = writeStatisticsArtifact(root, 'stats', [
      dataset('train', 10, trainFeatures()),
      // An out-of-range value (a WARNING) and a new column (an ERROR).
      dataset('eval', 10, [
        numFeature('trips', 'INT', [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]),
        strFeature('payment', repeat({ card: 5, cash: 5 })),
        strFeature('note', repeat({ x: 10 })),
      ]),
    ]);
    let written: unknown;
    await assert.rejects(
      (async () => {
        const { ctx } = makeContext({
          root,
          pool,
          params: { ...params, fail_on_error: true },
          inputs: { statistics: { type: 'ExampleStatistics', uri: statsUri }, schema: { type: 'Schema', uri: schemaUri }, baseline_statistics: undefined },
          outputs: { anomalies: 'ExampleAnomalies' },
        });
        try {
          await execute(ctx);
        } finally {
          written = existsSync(join(ctx.outputs.anomalies.uri, ANOMALIES_FILE));
          assert.deepEqual(ctx.outputs.anomalies.properties, {});
        }
      })(),
      (err: Error) => {
        assert.ok(err instanceof UserError);
        assert.match(err.message, /found 1 ERROR anomalies:\nSplit "eval": 1 anomalies \(1 errors, 0 warnings\)\n +ERROR +note: New column\. The feature is in the data but not in the schema\.$/);
        assert.doesNotMatch(err.message, /Split "train"|trips/);
        return true;
      },
    );
    assert.equal(written, false);
    // Without errors it passes even with fail_on_error.
    writeStatisticsArtifact(root, 'stats', [dataset('train', 10, trainFeatures())]);
    const ok = await run(statsUri, { fail_on_error: true });
    assert.equal(ok.properties.errorCount, 0);
  });

  it('reports a split without examples as data missing', async () => {
    const statsUri = writeStatisticsArtifact(root, 'stats', [dataset('train', 10, trainFeatures()), dataset('eval', 0, [])]);
    const { anomalies, properties } = await run(statsUri);
    assert.equal(anomalies.splits.eval.dataMissing, true);
    assert.equal(anomalies.splits.eval.datasetAnomalyInfo?.reason[0].type, 'DATASET_LOW_NUM_EXAMPLES');
    assert.equal(properties.errorCount, 1);
  });

  it('rejects a malformed schema artifact with the file name', async () => {
    writeFileSync(join(schemaUri, SCHEMA_FILE), JSON.stringify({ feature: [{ name: 'trips' }] }));
    const statsUri = writeStatisticsArtifact(root, 'stats', [dataset('train', 10, trainFeatures())]);
    await assert.rejects(run(statsUri), /Invalid schema in .*schema\.json:\n.*"trips"\): "type" must be INT, FLOAT or BYTES, got no type/);
  });
});
