import assert from 'node:assert/strict';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { validatePipeline } from '../../runtime/src/pipeline/validate.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { locate } from '../../extension/src/canvas/locate.ts';
import { canvasModel } from '../../extension/src/canvas/document-model.ts';

// Every kind of located problem at once; the runtime's validator knows the node and field of each,
// the canvas only gets ranges from VS Code and must find the same node and field again.
const TEXT = `name: broken
root: .tributary
nodes:
  gen:
    component: CsvExampleGen
    params:
      input: data/x.csv
      formt: csv
      splits: { train: -1 }
  stats:
    component: StatisticsGen
    params:
      top_k: many
    inputs:
      examples: nowhere.examples
  schema:
    component: SchemaGen
    inputs:
      statistics: gen.examples
  odd:
    component: NoSuchGen
layout:
  gen: { x: 0, y: 0 }
  ghost: { x: 1, y: 1 }
`;

function offsetOf(text: string, line: number, column: number): number {
  return text.split('\n').slice(0, line).reduce((sum, l) => sum + l.length + 1, 0) + column;
}

describe('canvas: diagnostics ranges → node and field', () => {
  const parsed = parsePipeline(TEXT, '/ws/broken.pipeline.yaml');
  const diagnostics = validatePipeline(parsed, builtinRegistry(), { workspaceRoot: '/ws' });

  it('finds the node and field the validator reported, from the range start alone', () => {
    const located = diagnostics.filter((d) => d.nodeId && d.field && !['missing-input', 'missing-param', 'unknown-layout-node'].includes(d.code));
    assert.ok(located.length >= 6, `expected several located problems, got ${located.map((d) => d.code).join(', ')}`);
    for (const d of located) {
      const where = locate(parsed, offsetOf(TEXT, d.range.start.line, d.range.start.column));
      assert.equal(where.nodeId, d.nodeId, `${d.code}: ${d.message}`);
      // A reference's range covers its node part; the field is the input either way.
      assert.equal(where.field, d.field, `${d.code}: ${d.message}`);
    }
  });

  it('attributes layout entries and top-level keys', () => {
    assert.deepEqual(locate(parsed, TEXT.indexOf('ghost:')), { nodeId: 'ghost', field: 'layout' });
    assert.deepEqual(locate(parsed, TEXT.indexOf('.tributary')), { field: 'root' });
    assert.deepEqual(locate(parsed, TEXT.indexOf('  odd:') + 2), { nodeId: 'odd' });
  });

  it('the canvas model lists nodes in file order with their positions, and is editable', () => {
    const model = canvasModel(parsed, []);
    assert.deepEqual(model.nodes.map((n) => n.id), ['gen', 'stats', 'schema', 'odd']);
    assert.deepEqual(model.nodes[0].position, { x: 0, y: 0 });
    assert.equal(model.nodes[1].position, undefined);
    assert.deepEqual(model.nodes[1].inputs, { examples: { node: 'nowhere', output: 'examples' } });
    assert.equal(model.editable, true);
    assert.equal(canvasModel(parsePipeline('name: [x\nnodes: {}\n', 'f'), []).editable, false);
  });
});
