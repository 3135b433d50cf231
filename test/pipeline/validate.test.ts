import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { formatDiagnostic, type Diagnostic } from '../../runtime/src/pipeline/diagnostics.ts';
import { topologicalOrder } from '../../runtime/src/pipeline/graph.ts';
import { nodeParamsWithDefaults } from '../../runtime/src/pipeline/params.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { validatePipeline } from '../../runtime/src/pipeline/validate.ts';
import { fakeSpecRegistry as fakeRegistry } from '../helpers/fake-components.ts';
import { positionOf, rangeOf } from '../helpers/text-position.ts';

const FILE = '/ws/pipelines/taxi.pipeline.yaml';
const WORKSPACE = '/ws';

const CLEAN = `# A clean pipeline
name: chicago-taxi
root: .tributary              # artifacts and metadata
nodes:
  example_gen:
    component: CsvExampleGen
    params:
      input: data/taxi.csv    # relative to this file
      eval_fraction: 0.25
  statistics_gen:
    component: StatisticsGen
    inputs:
      examples: example_gen.examples
  schema_gen:
    component: SchemaGen
    inputs:
      statistics: statistics_gen.statistics
  example_validator:
    component: ExampleValidator
    inputs:
      statistics: statistics_gen.statistics
      schema: schema_gen.schema
layout:
  example_gen: { x: 0, y: 0 }
`;

// These tests name a workspace that is not on disk (/ws): the rule that files exist is left out
// here and tested on real files below ('warns when a path a node reads matches nothing').
const onDisk = (d: Diagnostic) => d.code !== 'missing-path';

function validate(text: string): Diagnostic[] {
  return validatePipeline(parsePipeline(text, FILE), fakeRegistry(), { file: FILE, workspaceRoot: WORKSPACE }).filter(onDisk);
}

/** The one diagnostic with this code; fails if there are none or several. */
function single(diagnostics: Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got: ${diagnostics.map(formatDiagnostic).join('\n')}`);
  return found[0];
}

/** CLEAN with one substring replaced; asserts the replacement happened. */
function edited(from: string, to: string, text = CLEAN): string {
  assert.ok(text.includes(from), `fixture lacks ${from}`);
  return text.replace(from, to);
}

describe('validatePipeline', () => {
  it('warns when a path a node reads matches nothing: files, globs, {SPAN} patterns; not folders it writes', () => {
    const root = mkdtempSync(join(tmpdir(), 'trib-paths-'));
    try {
      const file = join(root, 'p', 'x.pipeline.yaml');
      mkdirSync(join(root, 'p', 'data', 'span-3'), { recursive: true });
      writeFileSync(join(root, 'p', 'data', 'taxi.csv'), 'a\n1\n');
      writeFileSync(join(root, 'p', 'data', 'span-3', 'part.csv'), 'a\n1\n');
      const check = (input: string) =>
        validatePipeline(parsePipeline(CLEAN.replace('input: data/taxi.csv', `input: ${input}`), file), fakeRegistry(), { file, workspaceRoot: root }).filter((d) => !onDisk(d));
      assert.deepEqual(check('data/taxi.csv'), []);
      assert.deepEqual(check('data/*.csv'), []);
      assert.deepEqual(check('data/span-{SPAN}/*.csv'), []);
      const missing = check('data/input.csv');
      assert.equal(missing.length, 1);
      assert.equal(missing[0].severity, 'warning');
      assert.equal(missing[0].field, 'params.input');
      assert.match(missing[0].message, /"data\/input.csv" does not exist/);
      assert.match(check('data/*.jsonl')[0].message, /matches no file/);
      assert.equal(check('data/span-{SPAN}/*.jsonl').length, 1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('finds no problem in a clean pipeline', () => {
    assert.deepEqual(validate(CLEAN), []);
  });

  it('reports YAML syntax errors with their position', () => {
    const text = edited('name: chicago-taxi', 'name: "chicago-taxi');
    const d = validate(text).find((x) => x.code === 'yaml-syntax');
    assert.ok(d);
    assert.equal(d.severity, 'error');
    assert.match(d.message, /quote/i);
  });

  it('reports a YAML structure error at the offending line', () => {
    const text = edited('    component: SchemaGen\n', '    component: SchemaGen\n   misindented: 1\n');
    const d = validate(text).find((x) => x.code === 'yaml-syntax');
    assert.ok(d);
    assert.equal(d.message, 'All mapping items must start at the same column');
    assert.deepEqual(d.range.start, positionOf(text, '   misindented'));
  });

  it('reports a duplicate parameter on its second occurrence', () => {
    const text = edited('eval_fraction: 0.25', 'eval_fraction: 0.25\n      eval_fraction: 0.5');
    const diagnostics = validate(text);
    const d = single(diagnostics, 'duplicate-key');
    assert.equal(d.message, 'Duplicate parameter "eval_fraction" in node "example_gen": only the first one is used.');
    assert.deepEqual(d.range, rangeOf(text, 'eval_fraction', 2));
    assert.equal(parsePipeline(text, FILE).spec.nodes.example_gen.params.eval_fraction, 0.25);
  });

  it('reports node ids that cannot be referenced', () => {
    const text = edited('  schema_gen:', '  schema.gen:');
    const d = single(validate(text), 'invalid-node-id');
    assert.equal(d.message, 'Node id "schema.gen" must start with a letter or "_" and contain only letters, digits, "_" and "-".');
    assert.deepEqual(d.range, rangeOf(text, 'schema.gen'));
  });

  it('reports unknown top-level keys with a suggestion', () => {
    const text = edited('layout:', 'layuot:');
    const d = single(validate(text), 'unknown-key');
    assert.equal(d.message, 'Unknown top-level key "layuot"; expected one of name, root, components, nodes, layout, alerts, metadata. Did you mean "layout"?');
    assert.deepEqual(d.range, rangeOf(text, 'layuot'));
    assert.deepEqual(d.range, { start: { line: 22, column: 0 }, end: { line: 22, column: 6 } });
  });

  it('lets root default to .tributary beside the file', () => {
    const text = edited('root: .tributary              # artifacts and metadata\n', '');
    assert.deepEqual(validate(text), []);
    assert.equal(parsePipeline(text, 'p.pipeline.yaml').spec.root, '.tributary');
  });

  it('reports an ill-typed name at its value', () => {
    const text = edited('name: chicago-taxi', 'name: [1, 2]');
    const d = single(validate(text), 'invalid-type');
    assert.equal(d.message, '"name" must be a non-empty string.');
    assert.deepEqual(d.range, rangeOf(text, '[1, 2]'));
  });

  it('reports nodes that are not a map', () => {
    const text = 'name: x\nroot: .tributary\nnodes: 3\n';
    const d = single(validate(text), 'invalid-type');
    assert.equal(d.message, '"nodes" must be a map.');
    assert.deepEqual(d.range, { start: { line: 2, column: 7 }, end: { line: 2, column: 8 } });
  });

  it('reports an unknown component with a did-you-mean', () => {
    const text = edited('component: StatisticsGen', 'component: StatisticGen');
    const d = single(validate(text), 'unknown-component');
    assert.equal(d.message, 'Node "statistics_gen" uses unknown component "StatisticGen". Did you mean "StatisticsGen"?');
    assert.equal(d.nodeId, 'statistics_gen');
    assert.deepEqual(d.range, rangeOf(text, 'StatisticGen'));
  });

  it('reports an unknown parameter at its key, with a suggestion', () => {
    const text = edited('eval_fraction: 0.25', 'eval_fractoin: 0.25');
    const d = single(validate(text), 'unknown-param');
    assert.equal(d.message, 'Component CsvExampleGen has no parameter "eval_fractoin" (node "example_gen"). Did you mean "eval_fraction"?');
    assert.deepEqual(d.range, rangeOf(text, 'eval_fractoin'));
    assert.equal(d.field, 'params.eval_fractoin');
  });

  it('reports a missing required parameter at the params key', () => {
    const text = edited('      input: data/taxi.csv    # relative to this file\n', '');
    const d = single(validate(text), 'missing-param');
    assert.equal(d.message, 'Node "example_gen" is missing required parameter "input" of CsvExampleGen.');
    assert.deepEqual(d.range, rangeOf(text, 'params'));
  });

  it('reports a missing required parameter at the node when there are no params', () => {
    const text = edited('    params:\n      input: data/taxi.csv    # relative to this file\n      eval_fraction: 0.25\n', '');
    const d = single(validate(text), 'missing-param');
    assert.deepEqual(d.range, rangeOf(text, 'example_gen:'.slice(0, -1)));
  });

  it('reports ill-typed parameters at their values, nested ones included', () => {
    const text = edited(
      'eval_fraction: 0.25',
      'eval_fraction: high\n      mode: shuffled\n      splits:\n        - { name: train, buckets: many }',
    );
    const found = validate(text).filter((d) => d.code === 'invalid-param');
    assert.deepEqual(
      found.map((d) => [d.message, d.range]),
      [
        ['Parameter "eval_fraction" of node "example_gen" must be a number.', rangeOf(text, 'high')],
        ['Parameter "mode" of node "example_gen" must be one of "hash", "random".', rangeOf(text, 'shuffled')],
        ['Parameter "splits.0.buckets" of node "example_gen" must be a whole number.', rangeOf(text, 'many')],
      ],
    );
  });

  it('reports an unknown input name at its key', () => {
    const text = edited('      examples: example_gen.examples\n', '      examples: example_gen.examples\n      exampels: example_gen.examples\n');
    const d = single(validate(text), 'unknown-input');
    assert.equal(
      d.message,
      'Component StatisticsGen has no input "exampels" (node "statistics_gen"); its inputs are "examples", "schema". Did you mean "examples"?',
    );
    assert.deepEqual(d.range, rangeOf(text, 'exampels'));
  });

  it('reports a missing required input at the inputs key', () => {
    const text = edited('      schema: schema_gen.schema\n', '');
    const d = single(validate(text), 'missing-input');
    assert.equal(d.message, 'Node "example_validator" is missing required input "schema" (Schema) of ExampleValidator.');
    assert.deepEqual(d.range, rangeOf(text, 'inputs', 3));
  });

  it('does not require optional inputs', () => {
    assert.equal(validate(CLEAN).filter((d) => d.code === 'missing-input').length, 0);
  });

  it('reports a reference to a missing node at the node part', () => {
    const text = edited('examples: example_gen.examples', 'examples: exmple_gen.examples');
    const d = single(validate(text), 'unknown-node');
    assert.equal(d.message, 'Input "examples" of node "statistics_gen" references node "exmple_gen", which does not exist. Did you mean "example_gen"?');
    assert.deepEqual(d.range, rangeOf(text, 'exmple_gen'));
  });

  it('reports a reference to a missing output at the output part', () => {
    const text = edited('schema: schema_gen.schema', "schema: 'schema_gen.shcema'");
    const d = single(validate(text), 'unknown-output');
    assert.equal(d.message, 'Node "schema_gen" (SchemaGen) has no output "shcema"; its outputs are "schema". Did you mean "schema"?');
    assert.deepEqual(d.range, rangeOf(text, 'shcema'));
  });

  it('reports malformed references', () => {
    const text = edited('examples: example_gen.examples', 'examples: example_gen');
    const diagnostics = validate(text);
    const d = single(diagnostics, 'invalid-reference');
    assert.equal(d.message, 'Input "examples" of node "statistics_gen" must reference an output as "<node>.<output>", not "example_gen".');
    const start = positionOf(text, 'examples: example_gen', 'examples: '.length);
    assert.deepEqual(d.range, { start, end: { line: start.line, column: start.column + 'example_gen'.length } });
    assert.equal(diagnostics.filter((x) => x.code === 'missing-input').length, 0, 'a malformed input is not also missing');
  });

  it('reports an artifact type mismatch naming both types', () => {
    const text = edited('examples: example_gen.examples', 'examples: schema_gen.schema');
    const d = single(validate(text), 'type-mismatch');
    assert.equal(d.message, 'Input "examples" of node "statistics_gen" expects Examples, but "schema_gen.schema" is Schema.');
    assert.deepEqual(d.range, rangeOf(text, 'schema_gen.schema'));
  });

  it('reports each node of a cycle with the cycle path', () => {
    const text = edited('      examples: example_gen.examples\n', '      examples: example_gen.examples\n      schema: schema_gen.schema\n');
    const cycles = validate(text).filter((d) => d.code === 'cycle');
    assert.deepEqual(
      cycles.map((d) => [d.nodeId, d.message, d.range]),
      [
        ['statistics_gen', 'Node "statistics_gen" is part of a cycle: statistics_gen → schema_gen → statistics_gen.', rangeOf(text, 'schema_gen.schema')],
        ['schema_gen', 'Node "schema_gen" is part of a cycle: schema_gen → statistics_gen → schema_gen.', rangeOf(text, 'statistics_gen.statistics')],
      ],
    );
    assert.throws(() => topologicalOrder(parsePipeline(text, FILE).spec), /cycle/);
  });

  it('reports a duplicate node id on its second occurrence', () => {
    const text = edited('layout:', '  schema_gen:\n    component: SchemaGen\nlayout:');
    const d = single(validate(text), 'duplicate-node');
    assert.equal(d.message, 'Duplicate node id "schema_gen": only the first one is used.');
    assert.deepEqual(d.range.start, positionOf(text, 'schema_gen:', 0, 2));
  });

  it('reports paths escaping the workspace: params, root and component modules', () => {
    let text = edited('input: data/taxi.csv', 'input: ../../etc/*.csv');
    text = edited('root: .tributary', 'root: ../..', text);
    text = edited('nodes:', 'components:\n  Mine: ../../mine.ts\nnodes:', text);
    const found = validate(text).filter((d) => d.code === 'path-outside-workspace');
    assert.deepEqual(
      found.map((d) => [d.field, d.message, d.range]),
      [
        ['root', '"root" "../.." resolves to /, outside the workspace /ws.', rangeOf(text, '../..')],
        ['components.Mine', 'The module of component "Mine" "../../mine.ts" resolves to /mine.ts, outside the workspace /ws.', rangeOf(text, '../../mine.ts')],
        ['params.input', 'Parameter "input" of node "example_gen" "../../etc/*.csv" resolves to /etc, outside the workspace /ws.', rangeOf(text, '../../etc/*.csv')],
      ],
    );
  });

  it('accepts paths that go up but stay inside the workspace', () => {
    assert.deepEqual(validate(edited('input: data/taxi.csv', 'input: ../data/taxi.csv')), []);
  });

  it('warns about layout entries naming unknown nodes', () => {
    const text = edited('  example_gen: { x: 0, y: 0 }', '  example_gen: { x: 0, y: 0 }\n  ghost: { x: 1, y: 1 }');
    const d = single(validate(text), 'unknown-layout-node');
    assert.equal(d.severity, 'warning');
    assert.equal(d.message, 'Layout entry "ghost" names no node.');
    assert.deepEqual(d.range, rangeOf(text, 'ghost'));
  });

  it('reports every problem, not just the first', () => {
    let text = edited('component: StatisticsGen', 'component: Nope');
    text = edited('eval_fraction: 0.25', 'eval_fraction: 2', text);
    text = edited('statistics: statistics_gen.statistics\n      schema', 'statistics: schema_gen.schema\n      schema', text);
    text = edited('layout:', 'extra: 1\nlayout:', text);
    const codes = validate(text).map((d) => d.code).sort();
    assert.deepEqual(codes, ['invalid-param', 'type-mismatch', 'unknown-component', 'unknown-key']);
  });

  it('skips component checks for declared custom components the registry does not know yet', () => {
    const text = edited('nodes:', 'components:\n  MyScaler: components/my-scaler.ts\nnodes:\n  scaler:\n    component: MyScaler\n    params: { anything: 1 }');
    assert.deepEqual(validate(text), []);
  });

  it('formats diagnostics with 1-based positions', () => {
    const text = edited('component: StatisticsGen', 'component: Nope');
    const d = single(validate(text), 'unknown-component');
    const { line, column } = positionOf(text, 'Nope');
    assert.equal(formatDiagnostic(d), `${FILE}:${line + 1}:${column + 1}: error unknown-component: ${d.message}`);
  });
});

describe('pipeline graph and params', () => {
  it('orders nodes after their inputs', () => {
    const reordered = `name: x
root: .tributary
nodes:
  validator: { component: ExampleValidator, inputs: { statistics: stats.statistics, schema: schema.schema } }
  schema: { component: SchemaGen, inputs: { statistics: stats.statistics } }
  stats: { component: StatisticsGen, inputs: { examples: gen.examples } }
  gen: { component: CsvExampleGen, params: { input: a.csv } }
`;
    const parsed = parsePipeline(reordered, FILE);
    assert.deepEqual(validatePipeline(parsed, fakeRegistry(), { workspaceRoot: WORKSPACE }).filter(onDisk), []);
    assert.deepEqual(topologicalOrder(parsed.spec), ['gen', 'stats', 'schema', 'validator']);
  });

  it('fills parameter defaults without changing the spec', () => {
    const parsed = parsePipeline(CLEAN, FILE);
    const params = nodeParamsWithDefaults(parsed.spec, fakeRegistry(), 'example_gen');
    assert.deepEqual(params, { input: 'data/taxi.csv', eval_fraction: 0.25, mode: 'hash', splits: [] });
    assert.deepEqual(parsed.spec.nodes.example_gen.params, { input: 'data/taxi.csv', eval_fraction: 0.25 });
    assert.throws(() => nodeParamsWithDefaults(parsed.spec, fakeRegistry(), 'nope'), /no node "nope"/);
  });
});

describe('the taxi sample with the real components', () => {
  it('validates cleanly and runs in data-flow order', async () => {
    const { readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const { builtinRegistry } = await import('../../runtime/src/components/index.ts');
    const file = fileURLToPath(new URL('../../samples/taxi/taxi.pipeline.yaml', import.meta.url));
    const workspaceRoot = fileURLToPath(new URL('../..', import.meta.url));
    const parsed = parsePipeline(readFileSync(file, 'utf8'), file);
    assert.deepEqual(validatePipeline(parsed, builtinRegistry(), { workspaceRoot }), []);
    assert.deepEqual(topologicalOrder(parsed.spec), [
      'example_gen', 'statistics_gen', 'schema_gen', 'example_validator', 'transform', 'trainer', 'evaluator', 'infra_validator', 'pusher',
    ]);
  });
});
