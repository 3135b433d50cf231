import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute as schemaGen } from '../../runtime/src/components/schema-gen/executor.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { schemaFromPbtxt, schemaToPbtxt, statisticsFromPb, statisticsToPb } from '../../runtime/src/formats/tfx-proto.ts';
import { makeContext } from '../schema-gen/executor-context.ts';
import { writeSplit } from '../statistics-gen/fixtures.ts';
import { runStatisticsGen } from './pipeline-steps.ts';

/** Every leaf of a JSON value by path. */
function leaves(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  else out.set(path, value);
  return out;
}

/** The proto fields declared `float` (the rest are double or integers): the binary keeps them at float32. */
const FLOAT32 = /\.(avgLength|avgNumValues)$/;
const DEFAULTS = new Set<unknown>([0, '', false, 'INT', 'STANDARD']);

/**
 * `back` equals `original` as proto3 defines equality: every value of the original is there, the
 * same (float fields at float32), and anything more is a field at its default value, which
 * proto3 does not put on the wire.
 */
function assertSameAsProto3(back: unknown, original: unknown): void {
  const a = leaves(original);
  const b = leaves(back);
  for (const [path, v] of a) {
    assert.ok(b.has(path) || DEFAULTS.has(v), `${path} lost`);
    const expected = typeof v === 'number' && FLOAT32.test(path) ? Math.fround(v) : v;
    if (b.has(path)) assert.equal(b.get(path), expected, path);
  }
  for (const [path, v] of b) if (!a.has(path)) assert.ok(DEFAULTS.has(v), `${path} = ${String(v)} appeared`);
}

const TFX_SCHEMA = `# A schema as TFX's SchemaGen writes it (text format), with a comment.
feature {
  name: "company"
  value_count {
    min: 1
    max: 1
  }
  type: BYTES
  domain: "company"
  presence {
    min_fraction: 1.0
    min_count: 1
  }
}
feature {
  name: "trip_miles"
  type: FLOAT
  float_domain { min: 0 max: 1e3 }
  presence { min_count: 1 }
  drift_comparator { jensen_shannon_divergence { threshold: 0.01 } }
}
feature <
  name: 'pickup_hour'
  type: INT
  int_domain: { min: 0 max: 23 is_categorical: true }
>
string_domain {
  name: "company"
  value: "Blue \\"Cab\\""
  value: "Zöne \\303\\266"
}
default_environment: ["TRAINING", "SERVING"]
`;

describe('TFX artifact formats', () => {
  let pool: WorkerPool;
  let dir: string;
  before(() => {
    pool = createPool(1);
    dir = mkdtempSync(join(tmpdir(), 'tfx-formats-'));
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('StatisticsGen writes FeatureStats.pb with the numbers of FeatureStats.json: JSON → pb → JSON', async () => {
    const rows = 400;
    writeSplit(join(dir, 'examples'), 'train', [
      [
        { name: 'hour', type: 'INT', values: Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : i % 24)) },
        { name: 'fare', type: 'FLOAT', values: Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? 0 : i * 0.37)) },
        { name: 'company', type: 'STRING', values: Array.from({ length: rows }, (_, i) => (i % 9 === 0 ? null : ['Taxi Co', 'Zöne', 'Blue'][i % 3])) },
      ],
    ]);
    const { uri, json } = await runStatisticsGen(pool, join(dir, 'examples'), ['train']);
    const pb = readFileSync(join(uri, 'FeatureStats.pb'));
    const back = statisticsFromPb(pb);
    assertSameAsProto3(back, json);
    assert.deepEqual(back.datasets[0].features.find((f) => f.name === 'company')!.stringStats!.topValues.map((t) => t.value).sort(), ['Blue', 'Taxi Co', 'Zöne']);
    // And the other way: the binary re-encoded from its JSON is the same bytes.
    assert.deepEqual(Buffer.from(statisticsToPb(back)), pb);
  });

  it('refuses statistics with a field the proto does not have, instead of dropping it', () => {
    assert.throws(() => statisticsToPb({ datasets: [{ name: 'x', numExamples: 1, features: [], extra: 1 } as any] }), /datasets\[0\]\.extra: not a field/);
  });

  it('reads TFX text format and prints it stably: pbtxt → Schema → pbtxt', () => {
    const schema = schemaFromPbtxt(TFX_SCHEMA);
    assert.deepEqual(schema.feature[0], {
      name: 'company',
      valueCount: { min: 1, max: 1 },
      type: 'BYTES',
      domain: 'company',
      presence: { minFraction: 1, minCount: 1 },
    });
    assert.deepEqual(schema.feature[1].floatDomain, { min: 0, max: 1000 });
    assert.deepEqual(schema.feature[1].driftComparator, { jensenShannonDivergence: { threshold: 0.01 } });
    assert.deepEqual(schema.feature[2].intDomain, { min: 0, max: 23, isCategorical: true });
    assert.deepEqual(schema.stringDomain, [{ name: 'company', value: ['Blue "Cab"', 'Zöne ö'] }]);
    assert.deepEqual(schema.defaultEnvironment, ['TRAINING', 'SERVING']);
    const printed = schemaToPbtxt(schema);
    assert.deepEqual(schemaFromPbtxt(printed), schema);
    assert.equal(schemaToPbtxt(schemaFromPbtxt(printed)), printed);
    assert.match(printed, /^feature \{\n {2}name: "company"\n {2}value_count \{\n {4}min: 1\n {4}max: 1\n {2}\}\n {2}type: BYTES\n {2}domain: "company"\n {2}presence \{/);
  });

  it('names line and column of text-format errors', () => {
    assert.throws(() => schemaFromPbtxt('feature {\n  name: "a"\n  colour: 3\n}\n'), /^Error: 3:3: "colour" is not a field of Feature/);
    assert.throws(() => schemaFromPbtxt('feature {\n  type: DOUBLE\n}'), /2:9: "DOUBLE" is not a value of FeatureType/);
    assert.throws(() => schemaFromPbtxt('feature {\n  name: "a"\n'), /missing "}" before the end of the file/);
    assert.throws(() => schemaFromPbtxt('feature { name: "a" name: "b" }'), /1:21: "name" is set twice/);
  });

  it('SchemaGen writes schema.pbtxt beside schema.json and takes a .pbtxt schema_file', async () => {
    writeFileSync(join(dir, 'tfx.pbtxt'), TFX_SCHEMA);
    const { ctx } = makeContext({
      root: dir,
      pool,
      params: { exclude_splits: [], infer_feature_shape: true, max_domain_size: 100, infer_ranges: true, schema_file: 'tfx.pbtxt' },
      inputs: { statistics: undefined },
      outputs: { schema: 'Schema' },
    });
    await schemaGen(ctx);
    const json = JSON.parse(readFileSync(join(ctx.outputs.schema.uri, 'schema.json'), 'utf8'));
    const pbtxt = readFileSync(join(ctx.outputs.schema.uri, 'schema.pbtxt'), 'utf8');
    assert.deepEqual(schemaFromPbtxt(pbtxt), json);
    assert.equal(json.feature.length, 3);
    writeFileSync(join(dir, 'bad.pbtxt'), 'feature {\n  name: "a"\n  type: WORD\n}\n');
    const bad = makeContext({ root: dir, pool, params: { ...ctx.params, schema_file: 'bad.pbtxt' }, inputs: {}, outputs: { schema: 'Schema' } });
    await assert.rejects(schemaGen(bad.ctx), (e: any) => /bad\.pbtxt:3:9: "WORD" is not a value of FeatureType/.test(e.message) && e.location.line === 3);
  });
});
