import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute } from '../../runtime/src/components/schema-gen/executor.ts';
import { schemaGen } from '../../runtime/src/components/schema-gen/index.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { SCHEMA_FILE, type Schema } from '../../runtime/src/formats/schema.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { makeContext } from './executor-context.ts';
import { dataset, numFeature, strFeature, tempDir, writeStatisticsArtifact } from './stats-fixtures.ts';

const params = { exclude_splits: [], infer_feature_shape: true, max_domain_size: 100, infer_ranges: true };

describe('SchemaGen executor', () => {
  let pool: WorkerPool;
  let root: string;
  let statsUri: string;
  before(() => {
    pool = createPool(1);
  });
  after(async () => {
    await pool.close();
  });
  beforeEach(() => {
    root = tempDir('schema-gen');
    statsUri = writeStatisticsArtifact(root, 'stats', [
      dataset('train', 4, [numFeature('trips', 'INT', [1, 2, 3, 9]), strFeature('payment', ['cash', 'card', 'card', null])]),
      dataset('eval', 2, [numFeature('trips', 'INT', [50, 2]), strFeature('payment', ['mobile', 'cash'])]),
    ]);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = async (extra: Record<string, unknown>) => {
    const { ctx, log } = makeContext({
      root,
      pool,
      params: { ...params, ...extra },
      inputs: { statistics: { type: 'ExampleStatistics', uri: statsUri } },
      outputs: { schema: 'Schema' },
    });
    await execute(ctx);
    const schema = JSON.parse(readFileSync(join(ctx.outputs.schema.uri, SCHEMA_FILE), 'utf8')) as Schema;
    return { schema, properties: ctx.outputs.schema.properties, log };
  };

  it('is registered with the TFX ports and loads this executor', async () => {
    assert.equal(schemaGen.spec.type, 'SchemaGen');
    assert.equal(schemaGen.spec.inputs.statistics.type, 'ExampleStatistics');
    assert.equal(schemaGen.spec.outputs.schema.type, 'Schema');
    assert.equal(typeof (await schemaGen.loadExecutor()), 'function');
  });

  it('writes schema.json inferred from all splits and counts the features', async () => {
    const { schema, properties, log } = await run({});
    assert.deepEqual(properties, { features: 2 });
    assert.deepEqual(schema.feature.find((f) => f.name === 'trips')?.intDomain, { min: 1, max: 50 });
    assert.deepEqual(schema.stringDomain, [{ name: 'payment', value: ['card', 'cash', 'mobile'] }]);
    assert.match(log.info.join('\n'), /2 features.*"train", "eval"/);
  });

  it('leaves excluded splits out and rejects excluding every split', async () => {
    const { schema, log } = await run({ exclude_splits: ['eval', 'test'] });
    assert.deepEqual(schema.feature.find((f) => f.name === 'trips')?.intDomain, { min: 1, max: 9 });
    assert.deepEqual(schema.stringDomain?.[0].value, ['card', 'cash']);
    assert.match(log.warn.join('\n'), /"test", which is not in the statistics/);
    await assert.rejects(run({ exclude_splits: ['train', 'eval'] }), (err: Error) => err instanceof UserError && /all excluded/.test(err.message));
  });

  it('uses a user schema file instead of inferring', async () => {
    const user = { feature: [{ name: 'trips', type: 'INT', int_domain: { min: '0', max: '1000' } }], extra: true };
    writeFileSync(join(root, 'my-schema.json'), JSON.stringify(user));
    const { schema, properties, log } = await run({ schema_file: 'my-schema.json' });
    assert.deepEqual(schema, { feature: [{ name: 'trips', type: 'INT', intDomain: { min: 0, max: 1000 } }] });
    assert.deepEqual(properties, { features: 1 });
    assert.match(log.warn.join('\n'), /dropped: extra/);
  });

  it('reports a malformed schema file with its name and line', async () => {
    const file = join(root, 'broken.json');
    writeFileSync(file, '{\n  "feature": [\n    { "name": "x", "type": "INT" },\n  ]\n}\n');
    await assert.rejects(run({ schema_file: 'broken.json' }), (err: Error) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /broken\.json:4:3 is not valid JSON: expected a value but found '\]'/);
      assert.equal(err.location?.file, file);
      assert.equal(err.location?.line, 4);
      assert.equal(err.location?.column, 3);
      return true;
    });
    writeFileSync(file, JSON.stringify({ feature: [{ name: 'x', type: 'DOUBLE' }] }));
    await assert.rejects(run({ schema_file: 'broken.json' }), /Invalid schema in .*broken\.json:\n.*"type" must be INT, FLOAT or BYTES, got "DOUBLE"/);
    await assert.rejects(run({ schema_file: 'missing.json' }), /Cannot read schema file .*missing\.json: file not found/);
  });

  it('reports a missing or malformed statistics file', async () => {
    rmSync(join(statsUri, 'FeatureStats.json'));
    await assert.rejects(run({}), /Cannot read statistics file .*FeatureStats\.json: file not found/);
    writeFileSync(join(statsUri, 'FeatureStats.json'), JSON.stringify({ datasets: [{ name: 'train', numExamples: 1, features: [{ name: 'x', type: 'DATE' }] }] }));
    await assert.rejects(run({}), /feature "x" of split "train" has unknown type "DATE"/);
  });
});
