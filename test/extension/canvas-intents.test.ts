import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { applyEdits } from '../../runtime/src/pipeline/edit.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { editsForIntent, minimalEdit } from '../../extension/src/canvas/intents.ts';
import { localSpecs, specMap, toComponentInfo } from '../../extension/src/canvas/specs.ts';
import type { CanvasIntent } from '../../protocol/messages.ts';

const FILE = 'samples/taxi/taxi.pipeline.yaml';
const TAXI = readFileSync(FILE, 'utf8');
// The full registry (tests may load executors lazily; the extension host must not).
const specs = specMap(builtinRegistry().list().map((d) => toComponentInfo(d.spec)));

function run(intent: CanvasIntent, text = TAXI) {
  const parsed = parsePipeline(text, FILE);
  const edits = editsForIntent(parsed, intent, specs);
  const next = applyEdits(text, edits);
  return { edits, next, after: parsePipeline(next, FILE) };
}

function commentLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trimStart().startsWith('#') || / # /.test(l)).map((l) => l.trim());
}

function refusal(intent: CanvasIntent, text = TAXI): string {
  try {
    run(intent, text);
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('intent was not refused');
}

describe('canvas intents → text edits', () => {
  it('addNode appends a node with a unique id and its position, keeping every comment', () => {
    const once = run({ type: 'addNode', component: 'StatisticsGen', position: { x: 100.4, y: 200.6 } });
    assert.equal(once.after.diagnostics.length, 0);
    assert.deepEqual(once.after.spec.nodes.statistics_gen_2, { component: 'StatisticsGen', params: {}, inputs: {} });
    assert.deepEqual(once.after.spec.layout.statistics_gen_2, { x: 100, y: 201 });
    assert.deepEqual(commentLines(once.next), commentLines(TAXI));
    // The original text survives as a whole apart from the inserted spans.
    assert.equal(once.edits.every((e) => e.length === 0), true);
    const twice = run({ type: 'addNode', component: 'StatisticsGen', position: { x: 0, y: 0 } }, once.next);
    assert.ok('statistics_gen_3' in twice.after.spec.nodes);
  });

  it('removeNodes removes several nodes, the inputs reading them and their layout, in one edit', () => {
    const { edits, after, next } = run({ type: 'removeNodes', ids: ['schema_gen', 'statistics_gen'] });
    assert.equal(edits.length, 1, 'one edit = one undo step');
    const original = parsePipeline(TAXI, FILE).spec;
    const removed = new Set(['schema_gen', 'statistics_gen']);
    assert.deepEqual(Object.keys(after.spec.nodes), Object.keys(original.nodes).filter((id) => !removed.has(id)));
    assert.deepEqual(Object.keys(after.spec.layout), Object.keys(original.layout).filter((id) => !removed.has(id)));
    // No input anywhere still reads a removed node; inputs reading other nodes are untouched.
    for (const [id, node] of Object.entries(after.spec.nodes)) {
      const kept = Object.fromEntries(Object.entries(original.nodes[id].inputs).filter(([, ref]) => !removed.has(ref.node)));
      assert.deepEqual(node.inputs, kept, id);
    }
    assert.ok(next.includes('# Reads the CSV and writes it as Examples'));
    assert.ok(next.includes('# Flags values and distributions'));
    assert.ok(!next.includes('# Infers types, domains'), "a removed node's own comment goes with it");
    assert.ok(next.startsWith('# Chicago taxi trips, the TFX way'));
  });

  it('connect writes <node>.<output> under inputs', () => {
    const base = run({ type: 'addNode', component: 'ExampleValidator', position: { x: 0, y: 300 } }).next;
    const { after } = run({ type: 'connect', node: 'example_validator_2', input: 'schema', source: { node: 'schema_gen', output: 'schema' } }, base);
    assert.deepEqual(after.spec.nodes.example_validator_2.inputs, { schema: { node: 'schema_gen', output: 'schema' } });
  });

  it('refuses to connect incompatible artifact types, naming both', () => {
    const message = refusal({ type: 'connect', node: 'example_validator', input: 'schema', source: { node: 'statistics_gen', output: 'statistics' } });
    const outType = specs.get('StatisticsGen')!.outputs.statistics.type;
    const inType = specs.get('ExampleValidator')!.inputs.schema.type;
    assert.notEqual(outType, inType);
    assert.ok(message.includes(outType) && message.includes(inType), message);
  });

  it('refuses a connection that closes a cycle', () => {
    assert.match(refusal({ type: 'connect', node: 'statistics_gen', input: 'examples', source: { node: 'statistics_gen', output: 'statistics' } }), /own output/);
    // A custom component (no spec here: its ports are not type-checked) downstream of statistics_gen.
    const base = run({ type: 'pasteNodes', nodes: [{ id: 'custom', component: 'MyStep', params: {}, inputs: { anomalies: { node: 'example_validator', output: 'anomalies' } }, position: { x: 0, y: 0 } }] }).next;
    assert.match(refusal({ type: 'connect', node: 'statistics_gen', input: 'examples', source: { node: 'custom', output: 'out' } }, base), /cycle/);
    // The same custom node may feed a node that is not upstream of it.
    const ok = run({ type: 'addNode', component: 'StatisticsGen', position: { x: 0, y: 0 }, id: 'side' }, base).next;
    const wired = run({ type: 'connect', node: 'side', input: 'examples', source: { node: 'custom', output: 'out' } }, ok);
    assert.deepEqual(wired.after.spec.nodes.side.inputs, { examples: { node: 'custom', output: 'out' } });
  });

  it('moveNodes writes rounded positions in flow style and leaves other lines alone', () => {
    const { next, after } = run({ type: 'moveNodes', positions: { schema_gen: { x: 10.2, y: -5.7 }, example_gen: { x: 3, y: 4 } } });
    assert.deepEqual(after.spec.layout.schema_gen, { x: 10, y: -6 });
    assert.ok(next.includes('  schema_gen: { x: 10, y: -6 }'));
    const changed = next.split('\n').filter((line, i) => line !== TAXI.split('\n')[i]);
    assert.deepEqual(changed, ['  example_gen: { x: 3, y: 4 }', '  schema_gen: { x: 10, y: -6 }']);
  });

  it('refuses to place nodes that do not exist', () => {
    assert.match(refusal({ type: 'moveNodes', positions: { ghost: { x: 0, y: 0 } } }), /ghost/);
  });

  it('pasteNodes renames clashing ids, rewires references among the pasted nodes, keeps external ones, drops dangling ones', () => {
    const { edits, after } = run({
      type: 'pasteNodes',
      nodes: [
        { id: 'statistics_gen', component: 'StatisticsGen', params: { top_k: 5 }, inputs: { examples: { node: 'example_gen', output: 'examples' } }, position: { x: 0, y: 400 } },
        { id: 'schema_gen', component: 'SchemaGen', params: {}, inputs: { statistics: { node: 'statistics_gen', output: 'statistics' } }, position: { x: 260, y: 400 } },
        { id: 'fresh', component: 'SchemaGen', params: {}, inputs: { statistics: { node: 'gone', output: 'statistics' } }, position: { x: 520, y: 400 } },
      ],
    });
    assert.equal(edits.length, 1);
    const nodes = after.spec.nodes;
    assert.deepEqual(nodes.statistics_gen_2, { component: 'StatisticsGen', params: { top_k: 5 }, inputs: { examples: { node: 'example_gen', output: 'examples' } } });
    assert.deepEqual(nodes.schema_gen_2.inputs, { statistics: { node: 'statistics_gen_2', output: 'statistics' } });
    assert.deepEqual(nodes.fresh.inputs, {});
    assert.deepEqual(after.spec.layout.schema_gen_2, { x: 260, y: 400 });
    assert.equal(after.diagnostics.length, 0);
  });

  it('setParam writes nested values and removeParam removes them', () => {
    const set = run({ type: 'setParam', node: 'example_gen', name: 'splits', value: { train: 3, eval: 1 } });
    assert.deepEqual(set.after.spec.nodes.example_gen.params, { input: 'data/taxi.csv', splits: { train: 3, eval: 1 } });
    assert.ok(set.next.includes('input: data/taxi.csv    # relative to this file'));
    const removed = run({ type: 'removeParam', node: 'example_gen', name: 'splits' }, set.next);
    assert.equal(removed.next, TAXI);
  });

  it('renameNode follows references and the layout key', () => {
    const { after } = run({ type: 'renameNode', from: 'statistics_gen', to: 'stats' });
    assert.deepEqual(after.spec.nodes.schema_gen.inputs.statistics, { node: 'stats', output: 'statistics' });
    assert.ok('stats' in after.spec.layout);
  });

  it('refuses edits while the YAML has a syntax error, naming the line', () => {
    const broken = TAXI.replace('name: chicago-taxi', 'name: [chicago-taxi');
    assert.match(refusal({ type: 'addNode', component: 'SchemaGen', position: { x: 0, y: 0 } }, broken), /syntax error on line \d+/);
  });

  it("the host's local specs are the registry's built-ins, each with its icon", () => {
    const local = localSpecs();
    assert.deepEqual(local.map((s) => s.type), builtinRegistry().list().map((d) => d.spec.type));
    for (const s of local) assert.equal(s.icon, builtinRegistry().get(s.type)!.spec.icon, s.type);
    for (const s of local) assert.ok(s.icon, `${s.type} names no icon`);
  });

  it('minimalEdit turns one text into another with a single replacement', () => {
    const parsed = parsePipeline(TAXI, FILE);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200; i++) {
      const a = Math.floor(random() * TAXI.length);
      const b = a + Math.floor(random() * 40);
      const target = TAXI.slice(0, a) + 'x'.repeat(Math.floor(random() * 5)) + TAXI.slice(b);
      const edit = minimalEdit(parsed, target);
      assert.equal(applyEdits(TAXI, [edit]), target);
      assert.ok(edit.length <= b - a);
    }
  });
});
