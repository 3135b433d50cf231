import assert from 'node:assert/strict';
import {
  addNode,
  applyEdits,
  connect,
  disconnect,
  removeNode,
  removeParam,
  renameNode,
  serializePipeline,
  setLayout,
  setParam,
  uniqueNodeId,
  type TextEdit,
} from '../../runtime/src/pipeline/edit.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import type { PipelineSpec } from '../../runtime/src/core/pipeline-spec.ts';
import { validatePipeline } from '../../runtime/src/pipeline/validate.ts';
import { fakeSpecRegistry as fakeRegistry } from '../helpers/fake-components.ts';

const FILE = '/ws/taxi.pipeline.yaml';

const SAMPLE = `# Chicago taxi, the TFX way.
name: chicago-taxi
root: .tributary              # artifacts and metadata, relative to this file

nodes:
  # Reads the CSV.
  example_gen:
    component: CsvExampleGen
    params:
      input: "data/taxi.csv"    # relative to this file
      eval_fraction: 0.2

  # Per-feature statistics.
  statistics_gen:
    component: StatisticsGen
    inputs:
      examples: example_gen.examples   # the only input

  schema_gen:
    component: SchemaGen
    inputs:
      statistics: statistics_gen.statistics

  example_validator:
    component: ExampleValidator
    inputs:
      statistics: statistics_gen.statistics
      schema: schema_gen.schema

# Where the editor draws each node.
layout:
  example_gen: { x: 0, y: 0 }
  statistics_gen: { x: 260, y: 0 }   # moved by hand
`;

const parsed = parsePipeline(SAMPLE, FILE);

function apply(edits: TextEdit[]): string {
  return applyEdits(SAMPLE, edits);
}

function comments(text: string): string[] {
  return text.split('\n').filter((line) => line.includes('#')).map((line) => line.slice(line.indexOf('#')));
}

/** The spec after the edit, checked to be valid and free of parse problems. */
function reparse(text: string): PipelineSpec {
  const again = parsePipeline(text, FILE);
  assert.deepEqual(validatePipeline(again, fakeRegistry(), { workspaceRoot: '/ws' }).filter((d) => d.code !== 'missing-path'), [], text);
  return again.spec;
}

function replaceOnce(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `expected exactly one "${from}"`);
  return text.replace(from, to);
}

describe('pipeline writer', () => {
  it('leaves an unedited file byte-identical', () => {
    assert.equal(apply([]), SAMPLE);
    assert.equal(parsed.diagnostics.length, 0);
  });

  it('setParam replaces a value in place, keeping quotes and trailing comments', () => {
    const text = apply(setParam(parsed, 'example_gen', 'input', 'data/other.csv'));
    assert.equal(text, replaceOnce(SAMPLE, 'input: "data/taxi.csv"', 'input: "data/other.csv"'));
    assert.equal(reparse(text).nodes.example_gen.params.input, 'data/other.csv');
  });

  it('setParam adds a parameter to an existing params map', () => {
    const text = apply(setParam(parsed, 'example_gen', 'mode', 'random'));
    assert.equal(text, replaceOnce(SAMPLE, '      eval_fraction: 0.2\n', '      eval_fraction: 0.2\n      mode: random\n'));
  });

  it('setParam creates params when the node has none, with nested values as blocks', () => {
    const splits = [{ name: 'train', buckets: 4 }];
    const text = apply(setParam(parsed, 'statistics_gen', 'num_top_values', 5));
    assert.equal(
      text,
      replaceOnce(SAMPLE, '# the only input\n', '# the only input\n    params:\n      num_top_values: 5\n'),
    );
    const nested = apply(setParam(parsed, 'example_gen', 'splits', splits));
    assert.deepEqual(reparse(nested).nodes.example_gen.params.splits, splits);
    assert.deepEqual(comments(nested), comments(SAMPLE));
  });

  it('removeParam deletes the line, and params when it was the last one', () => {
    const one = apply(removeParam(parsed, 'example_gen', 'eval_fraction'));
    assert.equal(one, replaceOnce(SAMPLE, '      eval_fraction: 0.2\n', ''));
    const once = parsePipeline(one, FILE);
    const none = applyEdits(one, removeParam(once, 'example_gen', 'input'));
    assert.equal(none, replaceOnce(one, '    params:\n      input: "data/taxi.csv"    # relative to this file\n', ''));
  });

  it('addNode picks a unique id and appends the node and its layout', () => {
    assert.equal(uniqueNodeId(parsed.spec, 'StatisticsGen'), 'statistics_gen_2');
    assert.equal(uniqueNodeId(parsed.spec, 'CsvExampleGen'), 'csv_example_gen');
    const { id, edits } = addNode(parsed, 'StatisticsGen', {
      inputs: { examples: { node: 'example_gen', output: 'examples' } },
      params: { num_top_values: 3 },
      position: { x: 10, y: -20 },
    });
    assert.equal(id, 'statistics_gen_2');
    const text = apply(edits);
    let expected = replaceOnce(
      SAMPLE,
      '      schema: schema_gen.schema\n',
      '      schema: schema_gen.schema\n\n  statistics_gen_2:\n    component: StatisticsGen\n    params:\n      num_top_values: 3\n    inputs:\n      examples: example_gen.examples\n',
    );
    expected += '  statistics_gen_2: { x: 10, y: -20 }\n';
    assert.equal(text, expected);
    assert.throws(() => addNode(parsed, 'SchemaGen', { id: 'schema_gen' }), /already has a node "schema_gen"/);
  });

  it('removeNode removes its block, its comment, inputs reading from it and its layout entry', () => {
    const text = apply(removeNode(parsed, 'statistics_gen'));
    let expected = replaceOnce(
      SAMPLE,
      '  # Per-feature statistics.\n  statistics_gen:\n    component: StatisticsGen\n    inputs:\n      examples: example_gen.examples   # the only input\n\n',
      '',
    );
    expected = replaceOnce(expected, '    inputs:\n      statistics: statistics_gen.statistics\n\n', '\n');
    expected = replaceOnce(expected, '      statistics: statistics_gen.statistics\n', '');
    expected = replaceOnce(expected, '  statistics_gen: { x: 260, y: 0 }   # moved by hand\n', '');
    assert.equal(text, expected);
    const spec = parsePipeline(text, FILE).spec;
    assert.deepEqual(Object.keys(spec.nodes), ['example_gen', 'schema_gen', 'example_validator']);
    assert.deepEqual(spec.nodes.example_validator.inputs, { schema: { node: 'schema_gen', output: 'schema' } });
  });

  it('renameNode updates the key, every reference and the layout key', () => {
    const text = apply(renameNode(parsed, 'statistics_gen', 'stats'));
    const expected = SAMPLE.replace('  statistics_gen:', '  stats:')
      .replaceAll('statistics_gen.statistics', 'stats.statistics')
      .replace('  statistics_gen: { x: 260', '  stats: { x: 260');
    assert.equal(text, expected);
    assert.deepEqual(Object.keys(reparse(text).nodes), ['example_gen', 'stats', 'schema_gen', 'example_validator']);
    assert.throws(() => renameNode(parsed, 'statistics_gen', 'schema_gen'), /already has/);
    assert.throws(() => renameNode(parsed, 'statistics_gen', 'bad.id'), /not a valid node id/);
  });

  it('connect sets or replaces an input; disconnect removes it', () => {
    const added = apply(connect(parsed, 'statistics_gen', 'schema', { node: 'schema_gen', output: 'schema' }));
    assert.equal(added, replaceOnce(SAMPLE, '# the only input\n', '# the only input\n      schema: schema_gen.schema\n'));
    const rewired = apply(connect(parsed, 'example_validator', 'schema', { node: 'example_gen', output: 'examples' }));
    assert.equal(rewired, replaceOnce(SAMPLE, 'schema: schema_gen.schema', 'schema: example_gen.examples'));
    const removed = apply(disconnect(parsed, 'example_validator', 'schema'));
    assert.equal(removed, replaceOnce(SAMPLE, '      schema: schema_gen.schema\n', ''));
    assert.throws(() => connect(parsed, 'nope', 'x', { node: 'example_gen', output: 'examples' }), /no node "nope"/);
  });

  it('setLayout updates positions in flow style and adds missing ones', () => {
    const text = apply(setLayout(parsed, { statistics_gen: { x: 1, y: 2 }, schema_gen: { x: 3.5, y: 4 } }));
    const expected = replaceOnce(SAMPLE, 'statistics_gen: { x: 260, y: 0 }', 'statistics_gen: { x: 1, y: 2 }') + '  schema_gen: { x: 3.5, y: 4 }\n';
    assert.equal(text, expected);
  });

  it('setLayout creates the layout section when absent', () => {
    const noLayout = SAMPLE.slice(0, SAMPLE.indexOf('# Where the editor'));
    const text = applyEdits(noLayout, setLayout(parsePipeline(noLayout, FILE), { example_gen: { x: 0, y: 0 } }));
    assert.equal(text, noLayout + 'layout:\n  example_gen: { x: 0, y: 0 }\n');
  });

  it('keeps every comment through a sequence of edits', () => {
    let text = SAMPLE;
    const steps: ((p: ReturnType<typeof parsePipeline>) => TextEdit[])[] = [
      (p) => setParam(p, 'example_gen', 'eval_fraction', 0.3),
      (p) => addNode(p, 'StatisticsGen', { inputs: { examples: { node: 'example_gen', output: 'examples' } } }).edits,
      (p) => renameNode(p, 'schema_gen', 'schema'),
      (p) => setLayout(p, { schema: { x: 9, y: 9 } }),
      (p) => connect(p, 'statistics_gen_2', 'schema', { node: 'schema', output: 'schema' }),
    ];
    for (const step of steps) text = applyEdits(text, step(parsePipeline(text, FILE)));
    assert.deepEqual(comments(text), comments(SAMPLE));
    const spec = reparse(text);
    assert.deepEqual(spec.nodes.statistics_gen_2.inputs, {
      examples: { node: 'example_gen', output: 'examples' },
      schema: { node: 'schema', output: 'schema' },
    });
    assert.deepEqual(spec.layout.schema, { x: 9, y: 9 });
  });

  it('serializePipeline writes a file that parses back to the same spec', () => {
    const spec: PipelineSpec = {
      name: 'fresh',
      root: '.tributary',
      components: { MyScaler: 'components/my-scaler.ts' },
      nodes: {
        gen: { component: 'CsvExampleGen', params: { input: 'data/*.csv', splits: [{ name: 'train', buckets: 9 }] }, inputs: {} },
        stats: { component: 'StatisticsGen', params: {}, inputs: { examples: { node: 'gen', output: 'examples' } } },
      },
      layout: { gen: { x: 0, y: 0 }, stats: { x: 100, y: 0 } },
    };
    const text = serializePipeline(spec);
    assert.ok(text.includes('  gen: { x: 0, y: 0 }\n'), text);
    const again = parsePipeline(text, FILE);
    assert.deepEqual(again.diagnostics, []);
    assert.deepEqual(again.spec, spec);
  });
});
