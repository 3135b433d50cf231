// Type-level tests: every `@ts-expect-error` line must be a compile error (checked by `npx tsc --noEmit`,
// part of `npm test`); the runtime assertions check what the builders produce.
import assert from 'node:assert/strict';
import { csvExampleGen } from '../../runtime/src/components/csv-example-gen/index.ts';
import { exampleValidator } from '../../runtime/src/components/example-validator/index.ts';
import { schemaGen } from '../../runtime/src/components/schema-gen/index.ts';
import { statisticsGen } from '../../runtime/src/components/statistics-gen/index.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { pipeline, type OutputRef } from '../../runtime/src/pipeline/fluent.ts';
import { validatePipeline } from '../../runtime/src/pipeline/validate.ts';
import { fakeCsvExampleGen, fakeSchemaGen, fakeStatisticsGen } from '../helpers/fake-components.ts';

// The pipelines here name data that is not on disk; the missing-path warning is tested on real files.
const notMissingPath = (d: { code: string }) => d.code !== 'missing-path';

const WORKSPACE = '/ws';

describe('fluent pipeline API', () => {
  it('wires outputs to inputs by artifact type', () => {
    const p = pipeline('taxi', { root: '.tributary' });
    const gen = p.add('example_gen', csvExampleGen, { params: { input: 'data/taxi.csv' } });
    const examples: OutputRef<'Examples'> = gen.outputs.examples;
    const stats = p.add('stats', statisticsGen, { inputs: { examples } });
    const schema = p.add('schema', schemaGen, { inputs: { statistics: stats.outputs.statistics } });
    p.add('validator', exampleValidator, {
      inputs: { statistics: stats.outputs.statistics, schema: schema.outputs.schema, baseline_statistics: stats.outputs.statistics },
    });

    // @ts-expect-error a Schema is not Examples
    assert.throws(() => p.add('bad_type', statisticsGen, { inputs: { examples: schema.outputs.schema } }), /input "examples" expects Examples, but "schema.schema" is Schema/);
    // @ts-expect-error the required input "statistics" is missing
    assert.throws(() => p.add('missing_input', schemaGen, { inputs: {} }), /required input "statistics" \(ExampleStatistics\) is missing/);
    // @ts-expect-error options (with the required inputs) are missing
    assert.throws(() => p.add('no_options', schemaGen), /required input "statistics"/);
    // @ts-expect-error no such input
    assert.throws(() => p.add('unknown_input', schemaGen, { inputs: { statistics: stats.outputs.statistics, stats: stats.outputs.statistics } }), /SchemaGen has no input "stats"/);
    // @ts-expect-error eval is not an output of CsvExampleGen
    assert.equal(gen.outputs.eval, undefined);
    // @ts-expect-error input must be a string
    assert.throws(() => p.add('bad_param', csvExampleGen, { params: { input: 3 } }), /parameter "input" must be a string/);
    // @ts-expect-error no such parameter
    assert.throws(() => p.add('unknown_param', csvExampleGen, { params: { input: 'x.csv', inptu: 'x.csv' } }), /CsvExampleGen has no parameter "inptu"/);
    // @ts-expect-error an ExampleStatistics output cannot feed the Schema input
    assert.throws(() => p.add('swapped', exampleValidator, { inputs: { statistics: stats.outputs.statistics, schema: stats.outputs.statistics } }), /expects Schema/);

    assert.deepEqual(Object.keys(p.toSpec().nodes), ['example_gen', 'stats', 'schema', 'validator'], 'failed adds leave no node');
    assert.deepEqual(p.toSpec().nodes.stats, {
      component: 'StatisticsGen',
      params: {},
      inputs: { examples: { node: 'example_gen', output: 'examples' } },
    });
  });

  it('builds the seed talk chain with TFX node ids, and its YAML validates cleanly', () => {
    const chain = pipeline('taxi').fromCsv('data/taxi.csv').generateStatistics().inferSchema().validateInputData();
    const spec = chain.toSpec();
    assert.deepEqual(Object.keys(spec.nodes), ['example_gen', 'statistics_gen', 'schema_gen', 'example_validator']);
    assert.equal(spec.root, '.tributary');
    assert.deepEqual(spec.nodes.example_validator.inputs, {
      statistics: { node: 'statistics_gen', output: 'statistics' },
      schema: { node: 'schema_gen', output: 'schema' },
    });
    const parsed = parsePipeline(chain.toYaml(), `${WORKSPACE}/taxi.pipeline.yaml`);
    assert.deepEqual(parsed.spec, spec);
    assert.deepEqual(validatePipeline(parsed, builtinRegistry(), { workspaceRoot: WORKSPACE }).filter(notMissingPath), []);
    assert.deepEqual(chain.validate({ workspaceRoot: WORKSPACE }).filter(notMissingPath), []);
  });

  it('rejects chain steps whose inputs do not exist yet', () => {
    const start = pipeline('taxi').fromCsv('data/taxi.csv');
    // @ts-expect-error a schema needs statistics first
    assert.throws(() => start.inferSchema(), /required input "statistics"/);
    // @ts-expect-error validation needs a schema
    assert.throws(() => start.generateStatistics().validateInputData(), /required input "schema"/);
    // @ts-expect-error statistics_gen params are typed
    assert.throws(() => pipeline('typed').fromCsv('a.csv').generateStatistics({ params: { no_such_param: 1 } }), /no parameter "no_such_param"/);
  });

  it('accepts custom step ids and params', () => {
    const spec = pipeline('t', { root: 'out' })
      .fromCsv('data/*.csv', { id: 'gen', params: { delimiter: ';' } })
      .generateStatistics({ id: 'stats' })
      .toSpec();
    assert.deepEqual(spec.nodes.gen.params, { delimiter: ';', input: 'data/*.csv' });
    assert.deepEqual(spec.nodes.stats.inputs.examples, { node: 'gen', output: 'examples' });
    assert.equal(spec.root, 'out');
  });

  it('works with any component definition, reporting bad wiring at runtime too', () => {
    const p = pipeline('fake');
    const gen = p.add('gen', fakeCsvExampleGen, { params: { input: 'a.csv', mode: 'random' } });
    const stats = p.add('stats', fakeStatisticsGen, { inputs: { examples: gen.outputs.examples } });
    p.add('schema', fakeSchemaGen, { inputs: { statistics: stats.outputs.statistics }, position: { x: 1, y: 2 } });
    assert.throws(() => p.add('gen', fakeCsvExampleGen, { params: { input: 'b.csv' } }), /already has a node "gen"/);
    const foreign = pipeline('other').add('elsewhere', fakeCsvExampleGen, { params: { input: 'c.csv' } });
    assert.throws(() => p.add('stats2', fakeStatisticsGen, { inputs: { examples: foreign.outputs.examples } }), /not in pipeline "fake"/);
    assert.deepEqual(p.toSpec().layout, { schema: { x: 1, y: 2 } });
    assert.deepEqual(p.validate({ workspaceRoot: WORKSPACE }).filter(notMissingPath), []);
    // A required parameter left out is caught by validation (params are Partial at compile time).
    const lax = pipeline('lax');
    lax.add('gen', fakeCsvExampleGen, {});
    assert.deepEqual(lax.validate({ workspaceRoot: WORKSPACE }).map((d) => d.code), ['missing-param']);
  });
});
