import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyEdits } from '../../runtime/src/pipeline/edit.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { canvasNodes } from '../../extension/src/canvas/document-model.ts';
import { editsForIntent } from '../../extension/src/canvas/intents.ts';
import { specMap, toComponentInfo } from '../../extension/src/canvas/specs.ts';
import { decodeClipboard, encodeClipboard } from '../../webview/src/canvas/clipboard.ts';
import { checkConnection } from '../../webview/src/canvas/connection.ts';
import { autoLayout, fillMissingPositions, NODE_HEIGHT, NODE_WIDTH } from '../../webview/src/canvas/layout.ts';
import { enumValues, fieldKind, parseFieldText, setAtPath } from '../../webview/src/canvas/schema-fields.ts';
import type { CanvasNode } from '../../protocol/messages.ts';

const FILE = 'samples/taxi/taxi.pipeline.yaml';
const TAXI = readFileSync(FILE, 'utf8');
const specs = specMap(builtinRegistry().list().map((d) => toComponentInfo(d.spec)));
const nodes = canvasNodes(parsePipeline(TAXI, FILE));

describe('canvas logic', () => {
  describe('isValidConnection rules', () => {
    const check = (source: string, output: string, target: string, input: string) => checkConnection({ source, output, target, input }, nodes, specs);

    it('accepts an output into an input of the same artifact type, also an optional one', () => {
      assert.deepEqual(check('example_gen', 'examples', 'statistics_gen', 'examples'), { ok: true });
      assert.equal(specs.get('ExampleValidator')!.inputs.baseline_statistics.optional, true);
      assert.deepEqual(check('statistics_gen', 'statistics', 'example_validator', 'baseline_statistics'), { ok: true });
    });

    it('refuses different artifact types, naming both', () => {
      const result = check('example_gen', 'examples', 'schema_gen', 'statistics');
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.reason, 'example_gen.examples is an Examples artifact, but schema_gen.statistics takes ExampleStatistics.');
    });

    it('refuses unknown ports and nodes, self loops and cycles', () => {
      assert.match((check('example_gen', 'rows', 'statistics_gen', 'examples') as { reason: string }).reason, /no output "rows"/);
      assert.match((check('example_gen', 'examples', 'statistics_gen', 'data') as { reason: string }).reason, /no input "data"/);
      assert.match((check('nope', 'x', 'statistics_gen', 'examples') as { reason: string }).reason, /no node "nope"/);
      assert.match((check('schema_gen', 'schema', 'schema_gen', 'statistics') as { reason: string }).reason, /own output/);
      // Custom components (no spec here): y feeds x, so wiring x back into y closes a cycle.
      const custom: CanvasNode[] = [
        ...nodes,
        { id: 'y', component: 'Custom', params: {}, inputs: {} },
        { id: 'x', component: 'Custom', params: {}, inputs: { a: { node: 'y', output: 'out' } } },
      ];
      const cycle = checkConnection({ source: 'x', output: 'out', target: 'y', input: 'back' }, custom, specs);
      assert.deepEqual(checkConnection({ source: 'y', output: 'out', target: 'x', input: 'b' }, custom, specs), { ok: true });
      assert.match((cycle as { reason: string }).reason, /cycle/);
    });
  });

  describe('dagre layout', () => {
    it('lays the taxi DAG out left to right by depth, without overlaps, on the grid', () => {
      const positions = autoLayout(nodes);
      assert.deepEqual(Object.keys(positions).sort(), nodes.map((n) => n.id).sort());
      // Depth computed here independently: longest path from a source.
      const depth = (id: string): number => {
        const node = nodes.find((n) => n.id === id)!;
        return Math.max(0, ...Object.values(node.inputs).map((ref) => depth(ref.node) + 1));
      };
      for (const a of nodes) {
        for (const b of nodes) {
          if (depth(a.id) < depth(b.id)) assert.ok(positions[a.id].x + NODE_WIDTH <= positions[b.id].x, `${a.id} left of ${b.id}`);
          if (a.id === b.id) continue;
          const overlap =
            Math.abs(positions[a.id].x - positions[b.id].x) < NODE_WIDTH && Math.abs(positions[a.id].y - positions[b.id].y) < NODE_HEIGHT;
          assert.ok(!overlap, `${a.id} overlaps ${b.id}`);
        }
        assert.equal(positions[a.id].x % 20, 0);
        assert.equal(positions[a.id].y % 20, 0);
      }
      assert.deepEqual(autoLayout(nodes), positions, 'deterministic');
    });

    it('the layout becomes setLayout edits: only layout lines change, and the file reads back the same positions', () => {
      const positions = autoLayout(nodes);
      const parsed = parsePipeline(TAXI, FILE);
      const next = applyEdits(TAXI, editsForIntent(parsed, { type: 'moveNodes', positions }, specs));
      const after = parsePipeline(next, FILE);
      assert.deepEqual(after.spec.layout, positions);
      const before = TAXI.split('\n');
      const changed = next.split('\n').filter((line, i) => line !== before[i]);
      assert.ok(changed.length > 0);
      for (const line of changed) assert.match(line, /^ {2}[a-z_]+: \{ x: -?\d+, y: -?\d+ \}$/);
      assert.equal(next.split('\n').length, before.length);
    });

    it('places only the nodes the file has not placed, below the placed ones', () => {
      const partial = nodes.map((n) => (n.id === 'example_validator' ? { ...n, position: undefined } : n));
      const filled = fillMissingPositions(partial);
      assert.deepEqual(Object.keys(filled), ['example_validator']);
      const lowest = Math.max(...partial.filter((n) => n.position).map((n) => n.position!.y));
      assert.ok(filled.example_validator.y >= lowest + NODE_HEIGHT);
      assert.deepEqual(fillMissingPositions(nodes), {});
    });
  });

  it('clipboard round trip shifts positions and rejects foreign text', () => {
    const copied = encodeClipboard(nodes.slice(0, 2));
    const pasted = decodeClipboard(copied, 40)!;
    assert.deepEqual(pasted.map((n) => n.id), ['example_gen', 'statistics_gen']);
    assert.deepEqual(pasted[1].position, { x: nodes[1].position!.x + 40, y: nodes[1].position!.y + 40 });
    assert.deepEqual(pasted[1].inputs, nodes[1].inputs);
    assert.equal(decodeClipboard('example_gen:\n  component: X', 0), undefined);
    assert.equal(decodeClipboard('tributary-canvas-nodes/1\n{not json', 0), undefined);
  });

  it('schema → field kinds and committed text → values', () => {
    const p = specs.get('CsvExampleGen')!.params.properties!;
    assert.equal(fieldKind(p.format), 'enum');
    assert.equal(fieldKind(p.skip_bad_rows), 'boolean');
    assert.equal(fieldKind(p.shard_size_mb), 'number');
    assert.equal(fieldKind(p.input), 'string');
    assert.equal(fieldKind(p.splits), 'record');
    assert.equal(fieldKind(p.split_key), 'list');
    assert.deepEqual(enumValues(p.format), p.format.anyOf!.map((s) => s.const));
    assert.equal(parseFieldText(p.shard_size_mb, ' 8.5 '), 8.5);
    assert.equal(parseFieldText(p.shard_size_mb, 'big'), 'big', 'kept for the validator to flag');
    assert.deepEqual(parseFieldText({ type: 'array', items: { type: 'object' } }, '[{"a":1}]'), [{ a: 1 }]);
    assert.deepEqual(setAtPath({ a: { b: 1 }, c: [1, 2] }, ['c', 1], 5), { a: { b: 1 }, c: [1, 5] });
  });
});
