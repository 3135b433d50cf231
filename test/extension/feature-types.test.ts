import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { featureTypesDeclaration, featureTypesPath, latestSchemaArtifact, writeFeatureTypes } from '../../runtime/src/pipeline/feature-types.ts';
import type { Schema } from '../../runtime/src/formats/schema.ts';
import { emptyStore, type ArtifactRecord, type StoreData } from '../../runtime/src/core/metadata-types.ts';

const API = resolve('runtime/src/ml/api.ts');

const schema: Schema = {
  feature: [
    { name: 'trip_miles', type: 'FLOAT', presence: { minFraction: 1 }, floatDomain: { min: 0, max: 48.6 } },
    { name: 'company', type: 'BYTES', presence: { minFraction: 0.6 }, domain: 'company' },
    { name: 'payment type', type: 'BYTES', stringDomain: { value: ['Cash', 'Credit */ Card'] } },
    { name: 'trip_start_hour', type: 'INT', intDomain: { min: 0, max: 23 } },
    { name: 'tags', type: 'BYTES', valueCount: { min: 0 } },
  ],
  stringDomain: [{ name: 'company', value: ['Flash Cab', 'Sun Taxi'] }],
};

let previous: ts.Program | undefined;

/** Type-checks a user module next to the declaration with the real compiler; returns error codes and texts. */
function typeCheck(dir: string, declaration: string, moduleSource: string): string[] {
  writeFileSync(join(dir, 'p.features.d.ts'), declaration);
  writeFileSync(join(dir, 'module.ts'), moduleSource);
  const program = ts.createProgram([join(dir, 'module.ts')], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: [],
  }, undefined, previous); // reusing the last program skips re-parsing lib and tfjs declarations
  previous = program;
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.startsWith(dir))
    .map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

describe('feature types from a schema', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-types-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('types numeric features as NumericColumn and strings as StringColumn, so misspellings fail to compile', function () {
    this.timeout(60_000);
    const text = featureTypesDeclaration(schema, { pipeline: 'taxi', source: 'Schema artifact #3', importFrom: API });
    const good = typeCheck(
      dir,
      text,
      [
        "import type { TypedPreprocessingFn, FeatureName } from './p.features.d.ts';",
        'export const preprocessing_fn: TypedPreprocessingFn = (inputs, tft) => ({',
        '  miles: tft.scale_to_z_score(inputs.trip_miles),',
        "  company: tft.compute_and_apply_vocabulary(tft.fill_in_missing(inputs.company)),",
        "  payment: tft.compute_and_apply_vocabulary(tft.fill_in_missing(inputs['payment type'])),",
        '  hour: tft.bucketize(inputs.trip_start_hour, 4),',
        '  n_tags: Float32Array.from(tft.list_length(inputs.tags)),',
        '  first_tag: tft.to_dense(tft.compute_and_apply_vocabulary(inputs.tags), 2)[0],',
        '});',
        "export const names: FeatureName[] = ['trip_miles', 'company', 'payment type', 'trip_start_hour'];",
      ].join('\n'),
    );
    assert.deepEqual(good, []);

    const bad = typeCheck(
      dir,
      text,
      [
        "import type { TypedPreprocessingFn } from './p.features.d.ts';",
        'export const preprocessing_fn: TypedPreprocessingFn = (inputs, tft) => ({',
        '  miles: tft.scale_to_z_score(inputs.trip_mile),',
        '  company: tft.scale_to_z_score(inputs.company),',
        '});',
      ].join('\n'),
    );
    assert.equal(bad.length, 2, bad.join('\n'));
    assert.match(bad[0], /TS2551: Property 'trip_mile' does not exist.*Did you mean 'trip_miles'/);
    assert.match(bad[1], /StringColumn|string\[\]|\(string \| null\)\[\]/);
  });

  it('documents presence, domains (shared or inline) and ranges, and keeps comments closed', () => {
    const text = featureTypesDeclaration(schema, { pipeline: 'taxi', source: 'Schema artifact #3' });
    assert.match(text, /\/\*\* FLOAT · always present · range \[0, 48\.6\] \*\/\n {2}trip_miles: NumericColumn;/);
    assert.match(text, /BYTES · present in ≥ 60% of examples · values "Flash Cab", "Sun Taxi" \*\/\n {2}company: StringColumn;/);
    assert.match(text, /"payment type": StringColumn;/);
    assert.match(text, / {2}tags: StringListColumn;/);
    assert.ok(text.includes('"Credit *\\/ Card"'), 'a */ inside a value must be escaped');
    assert.match(text, /from 'tributary';/);
  });

  it('picks the newest LIVE Schema artifact, optionally of one node', () => {
    const data = storeWith([
      { id: 1, state: 'LIVE', node: 'schema_gen' },
      { id: 4, state: 'LIVE', node: 'user_schema' },
      { id: 6, state: 'ABANDONED', node: 'schema_gen' },
      { id: 3, state: 'LIVE', node: 'schema_gen' },
    ]);
    assert.equal(latestSchemaArtifact(data)?.artifact.id, 4);
    assert.equal(latestSchemaArtifact(data, 'schema_gen')?.artifact.id, 3);
    assert.equal(latestSchemaArtifact(data, 'schema_gen')?.producer?.nodeId, 'schema_gen');
    assert.equal(latestSchemaArtifact(data, 'nobody'), undefined);
  });

  it('writes <base>.features.d.ts beside the pipeline from its store, and reports a missing schema clearly', () => {
    const root = join(dir, 'pipe');
    mkdirSync(join(root, '.trib', 'schema'), { recursive: true });
    const pipeline = join(root, 'taxi.pipeline.yaml');
    writeFileSync(pipeline, 'name: taxi\nroot: .trib\nnodes: {}\n');
    assert.throws(() => writeFeatureTypes(pipeline), /No runs recorded yet/);
    const data = storeWith([{ id: 2, state: 'LIVE', node: 'schema_gen' }]);
    data.artifacts[0].uri = join(root, '.trib', 'schema');
    writeFileSync(join(root, '.trib', 'metadata.json'), JSON.stringify(data));
    assert.throws(() => writeFeatureTypes(pipeline), /Cannot read the schema/);
    writeFileSync(join(root, '.trib', 'schema', 'schema.json'), JSON.stringify(schema));
    const written = writeFeatureTypes(pipeline);
    assert.equal(written.file, join(root, 'taxi.features.d.ts'));
    assert.equal(featureTypesPath(pipeline), written.file);
    assert.deepEqual([written.features, written.schemaArtifactId, written.changed], [5, 2, true]);
    assert.match(readFileSync(written.file, 'utf8'), /Schema artifact #2 from node schema_gen of pipeline "taxi"/);
    assert.equal(writeFeatureTypes(pipeline).changed, false);
    assert.throws(() => writeFeatureTypes(pipeline, { nodeId: 'other' }), /No Schema artifact from node "other"/);
  });
});

function storeWith(schemas: { id: number; state: ArtifactRecord['state']; node: string }[]): StoreData {
  const data = emptyStore();
  for (const s of schemas) {
    const time = new Date(2026, 0, s.id).toISOString();
    data.artifacts.push({ id: s.id, type: 'Schema', uri: `/x/${s.id}`, state: s.state, fingerprint: '', properties: {}, createdAt: time, updatedAt: time });
    const executionId = 100 + s.id;
    data.executions.push({
      id: executionId,
      component: 'SchemaGen',
      componentVersion: '1',
      nodeId: s.node,
      runId: 'r',
      state: 'COMPLETE',
      params: {},
      cacheKey: '',
      startedAt: time,
      pid: 1,
      logFile: '',
      properties: {},
    });
    data.events.push({ executionId, artifactId: s.id, type: 'OUTPUT', key: 'schema', time });
  }
  return data;
}
