import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { ARTIFACT_DESCRIPTIONS } from '../../runtime/src/core/artifacts.ts';
import { applyEdits } from '../../runtime/src/pipeline/edit.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { catalogFromRegistry } from '../../extension/src/language/catalog.ts';
import { complete, definition, hover, outline, renameEdits, nodeIdAt } from '../../extension/src/language/features.ts';
import { offsetAt, positionAt } from '../../extension/src/language/cursor.ts';

const catalog = catalogFromRegistry(builtinRegistry(), ARTIFACT_DESCRIPTIONS);
const FILE = '/ws/p/demo.pipeline.yaml';

const PIPELINE = `name: demo
root: .tributary
nodes:
  gen:
    component: CsvExampleGen
    params:
      input: data/x.csv
      format: csv
  stats:
    component: StatisticsGen
    inputs:
      examples: gen.examples
  schema:
    component: SchemaGen
    inputs:
      statistics: stats.statistics
  stats_again:
    component: StatisticsGen
    inputs:
      examples: gen.examples
      schema: schema.schema
  check:
    component: ExampleValidator
    inputs:
      schema: schema.schema
layout:
  gen: { x: 0, y: 0 }
`;

/** The position of the `n`-th occurrence of `marker` in text, plus `delta` characters. */
function at(text: string, marker: string, delta = 0, n = 1): { line: number; character: number } {
  let offset = -1;
  for (let i = 0; i < n; i++) offset = text.indexOf(marker, offset + 1);
  assert.ok(offset >= 0, `marker ${marker} not found`);
  return positionAt(text, offset + delta);
}

/** Inserts a new line `insert` after `marker` (which ends a line) and puts the cursor at its end. */
function typing(marker: string, insert: string): { text: string; position: { line: number; character: number } } {
  const offset = PIPELINE.indexOf(marker) + marker.length;
  const text = `${PIPELINE.slice(0, offset)}${insert}\n${PIPELINE.slice(offset)}`;
  return { text, position: positionAt(text, offset + insert.length) };
}

describe('pipeline language features', () => {
  describe('completion', () => {
    it('offers every registered component type as a component value', () => {
      const edited = PIPELINE.replace('component: ExampleValidator', 'component: Exa');
      const labels = complete(edited, FILE, at(edited, 'component: Exa', 'component: Exa'.length), catalog).map((i) => i.label);
      assert.deepEqual(labels.sort(), builtinRegistry().list().map((d) => d.spec.type).sort());
    });

    it('offers the parameters a node has not set yet, required ones first', () => {
      const { text, position } = typing('      format: csv\n', '      ');
      const items = complete(text, FILE, position, catalog);
      const expected = Object.keys(builtinRegistry().get('CsvExampleGen')!.spec.params.properties).filter((p) => p !== 'input' && p !== 'format');
      assert.deepEqual(items.map((i) => i.label).sort(), expected.sort());
      const skip = items.find((i) => i.label === 'skip_bad_rows')!;
      assert.equal(skip.detail, 'boolean = false');
      assert.equal((skip.textEdit as { newText: string }).newText, 'skip_bad_rows: ');
    });

    it('offers the allowed values of an enum parameter', () => {
      const text = PIPELINE.replace('format: csv', 'format: ');
      const items = complete(text, FILE, at(text, 'format: ', 'format: '.length), catalog);
      assert.deepEqual(items.map((i) => i.label), ['auto', 'csv', 'jsonl']);
      assert.equal(items.find((i) => i.label === 'auto')?.detail, 'default');
    });

    it('offers only upstream outputs of the input’s artifact type, never one that would close a cycle', () => {
      // check.statistics (ExampleStatistics): both statistics nodes qualify.
      const forCheck = typing('  check:\n    component: ExampleValidator\n    inputs:\n', '      statistics: ');
      assert.deepEqual(complete(forCheck.text, FILE, forCheck.position, catalog).map((i) => i.label), ['stats.statistics', 'stats_again.statistics']);
      // schema.statistics: stats_again reads schema's output, so wiring it back would be a cycle.
      const text = PIPELINE.replace('statistics: stats.statistics', 'statistics: st');
      const items = complete(text, FILE, at(text, 'statistics: st', 'statistics: st'.length), catalog);
      assert.deepEqual(items.map((i) => i.label), ['stats.statistics']);
      assert.deepEqual((items[0].textEdit as { range: unknown }).range, {
        start: at(text, 'statistics: st', 'statistics: '.length),
        end: at(text, 'statistics: st', 'statistics: st'.length),
      });
    });

    it('offers the inputs and node keys not yet written', () => {
      const forInputs = typing('  check:\n    component: ExampleValidator\n    inputs:\n', '      ');
      const labels = complete(forInputs.text, FILE, forInputs.position, catalog).map((i) => i.label);
      assert.deepEqual(labels.sort(), ['baseline_statistics', 'statistics']);
      const forNode = typing('  check:\n    component: ExampleValidator\n', '    ');
      assert.deepEqual(complete(forNode.text, FILE, forNode.position, catalog).map((i) => i.label).sort(), ['params', 'run']);
    });
  });

  describe('hover', () => {
    it('documents components, parameters and input artifact types from the specs', () => {
      const spec = builtinRegistry().get('StatisticsGen')!.spec;
      const onComponent = hover(PIPELINE, FILE, at(PIPELINE, 'StatisticsGen', 2), catalog)!;
      const value = (onComponent.contents as { value: string }).value;
      assert.ok(value.startsWith('**StatisticsGen** · data'));
      assert.ok(value.includes(spec.description));
      assert.deepEqual(onComponent.range, { start: at(PIPELINE, 'StatisticsGen'), end: at(PIPELINE, 'StatisticsGen', 'StatisticsGen'.length) });

      const onParam = (hover(PIPELINE, FILE, at(PIPELINE, 'format: csv', 1), catalog)!.contents as { value: string }).value;
      const format = builtinRegistry().get('CsvExampleGen')!.spec.params.properties.format;
      assert.ok(onParam.includes(format.description!));
      assert.ok(onParam.includes('`"auto" | "csv" | "jsonl"`'));

      const onReference = (hover(PIPELINE, FILE, at(PIPELINE, 'stats.statistics', 8), catalog)!.contents as { value: string }).value;
      assert.ok(onReference.includes('ExampleStatistics'));
      assert.ok(onReference.includes(ARTIFACT_DESCRIPTIONS.ExampleStatistics));
      assert.equal(hover(PIPELINE, FILE, at(PIPELINE, 'data/x.csv', 0), catalog)?.contents === undefined, false);
    });
  });

  describe('rename', () => {
    it('renames a node id at its key, its references and its layout entry', () => {
      const edits = renameEdits(PIPELINE, FILE, at(PIPELINE, 'gen:', 1), 'ingest');
      const renamed = applyLsp(PIPELINE, edits);
      const spec = parsePipeline(renamed, FILE).spec;
      assert.deepEqual(Object.keys(spec.nodes), ['ingest', 'stats', 'schema', 'stats_again', 'check']);
      assert.equal(spec.nodes.stats.inputs.examples.node, 'ingest');
      assert.equal(spec.nodes.stats_again.inputs.examples.node, 'ingest');
      assert.deepEqual(Object.keys(spec.layout), ['ingest']);
      assert.equal(renamed.split('\n').length, PIPELINE.split('\n').length);
    });

    it('finds the node id inside a reference and refuses bad or taken ids', () => {
      const target = nodeIdAt(PIPELINE, FILE, at(PIPELINE, 'schema.schema', 2))!;
      assert.equal(target.id, 'schema');
      assert.deepEqual(target.range, { start: at(PIPELINE, 'schema.schema'), end: at(PIPELINE, 'schema.schema', 6) });
      assert.equal(nodeIdAt(PIPELINE, FILE, at(PIPELINE, 'schema.schema', 9)), undefined, 'the output part is not a node id');
      assert.throws(() => renameEdits(PIPELINE, FILE, at(PIPELINE, 'gen:', 1), '9lives'), /not a valid node id/);
      assert.throws(() => renameEdits(PIPELINE, FILE, at(PIPELINE, 'gen:', 1), 'stats'), /stats/);
      assert.throws(() => renameEdits(PIPELINE, FILE, at(PIPELINE, 'data/x.csv'), 'x'), /node id/);
    });
  });

  describe('outline', () => {
    it('lists the nodes with their component, inputs and parameters', () => {
      const symbols = outline(PIPELINE, FILE);
      assert.deepEqual(
        symbols.map((s) => [s.name, s.detail, s.children?.map((c) => c.name)]),
        [
          ['gen', 'CsvExampleGen', ['input', 'format']],
          ['stats', 'StatisticsGen', ['examples']],
          ['schema', 'SchemaGen', ['statistics']],
          ['stats_again', 'StatisticsGen', ['examples', 'schema']],
          ['check', 'ExampleValidator', ['schema']],
        ],
      );
      assert.deepEqual(symbols[1].selectionRange, { start: at(PIPELINE, 'stats:'), end: at(PIPELINE, 'stats:', 5) });
    });
  });

  describe('go to definition', () => {
    const module = ['// helpers', 'function helper() {}', '', 'export function preprocessing_fn(inputs, tft) {', '  return {};', '}', 'export const other_fn = () => ({});', ''].join('\n');
    const files: Record<string, string> = { '/ws/p/modules/prep.ts': module, '/ws/p/comp.ts': 'import x from "y";\nexport default defineComponent(spec, run);\n' };
    const read = (path: string) => files[path];
    const transform = `name: t
components:
  Mine: comp.ts
nodes:
  gen:
    component: CsvExampleGen
    params: { input: x.csv }
  transform:
    component: Transform
    params:
      module_file: modules/prep.ts
      preprocessing_fn: other_fn
    inputs:
      examples: gen.examples
`;

    it('jumps from a module reference to the exported function in the .ts file', () => {
      assert.ok(catalog.components.some((c) => c.type === 'Transform'), 'Transform is registered');
      const fromName = definition(transform, FILE, at(transform, 'other_fn', 2), catalog, read)!;
      const exportAt = module.indexOf('other_fn');
      assert.equal(fromName.uri, '/ws/p/modules/prep.ts');
      assert.deepEqual(fromName.range, { start: positionAt(module, exportAt), end: positionAt(module, exportAt + 'other_fn'.length) });

      // From the module file itself: the function the node names (default preprocessing_fn when unset).
      const defaulted = transform.replace('      preprocessing_fn: other_fn\n', '');
      const fromModule = definition(defaulted, FILE, at(defaulted, 'modules/prep.ts', 3), catalog, read)!;
      const fnAt = module.indexOf('preprocessing_fn');
      assert.deepEqual(fromModule.range.start, positionAt(module, fnAt));

      const custom = definition(transform, FILE, at(transform, 'comp.ts', 1), catalog, read)!;
      assert.deepEqual([custom.uri, custom.range.start.line], ['/ws/p/comp.ts', 1]);

      const toNode = definition(transform, FILE, at(transform, 'gen.examples', 1), catalog, read)!;
      assert.deepEqual(toNode.range.start, at(transform, 'gen:'));
      assert.equal(definition(transform, FILE, at(transform, 'x.csv'), catalog, read), undefined);
    });
  });

  it('computes positions and offsets consistently (CRLF-free text)', () => {
    const text = readFileSync(join('samples', 'taxi', 'taxi.pipeline.yaml'), 'utf8');
    for (const offset of [0, 10, text.indexOf('nodes:'), text.length]) assert.equal(offsetAt(text, positionAt(text, offset)), offset);
  });
});

function applyLsp(text: string, edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]): string {
  return applyEdits(
    text,
    edits.map((e) => {
      const offset = offsetAt(text, e.range.start);
      return { offset, length: offsetAt(text, e.range.end) - offset, newText: e.newText, range: { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } } };
    }),
  );
}
