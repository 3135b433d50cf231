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
import { autoLayout, COMPACT_ZOOM, drawnEdges, fillMissingPositions, fitZoom, flowDirection, NODE_HEIGHT, NODE_WIDTH, TITLE_FONT, titlePixels } from '../../webview/src/canvas/layout.ts';
import { tangles } from '../../webview/src/canvas/crossings.ts';
import { foldedPorts } from '../../webview/src/canvas/port-order.ts';
import { untangle } from '../../webview/src/canvas/untangle.ts';
import { emptyValue, enumValues, fieldKind, parseFieldText, readFieldText, setAtPath } from '../../webview/src/canvas/schema-fields.ts';
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

    // The flow pane of the canvas at 1600×1000 with the Explorer open and nothing selected, as the
    // end-to-end test measures it (it asserts the title size on the real page too).
    const PANE = { width: 1000, height: 850 };
    const boundsOf = (positions: Record<string, { x: number; y: number }>, size: Record<string, { width: number; height: number }>) => {
      const xs = nodes.flatMap((n) => [positions[n.id].x, positions[n.id].x + size[n.id].width]);
      const ys = nodes.flatMap((n) => [positions[n.id].y, positions[n.id].y + size[n.id].height]);
      return { width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
    };

    // Compact nodes (as drawn at fit view) and each node's ports in the spec's order (the handles).
    const compact = () => Object.fromEntries(nodes.map((n) => [n.id, { width: NODE_WIDTH, height: 70 }]));
    const ports = Object.fromEntries(nodes.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)!.inputs), outputs: Object.keys(specs.get(n.component)!.outputs) }]));
    // Crossings as drawn at fit view: compact nodes, handles in their folded order (port-order.ts).
    const crossingsOf = (positions: Record<string, { x: number; y: number }>, of = nodes, declared = ports) =>
      tangles(drawnEdges(of, foldedPorts(of, positions, declared)), positions, () => ({ width: NODE_WIDTH, height: 70 }));

    it('runs left to right, the way the handles point, while titles stay readable; top to bottom in a narrow pane', () => {
      const wide = autoLayout(nodes, { sizes: compact(), viewport: PANE, ports, untangle: true });
      assert.ok(wide.pusher.x > wide.example_gen.x + 1200, 'left to right');
      assert.ok(titlePixels(fitZoom(boundsOf(wide, compact()), PANE)) >= 11);
      const narrow = { width: 600, height: 900 };
      const tall = autoLayout(nodes, { sizes: compact(), viewport: narrow });
      assert.ok(tall.pusher.y > tall.example_gen.y + 600, 'top to bottom');
      assert.ok(fitZoom(boundsOf(tall, compact()), narrow) > fitZoom(boundsOf(wide, compact()), narrow));
    });

    it('in a narrow pane the Auto layout runs top to bottom and the handles follow: every edge runs down, titles ≥ 11 px at fit view', () => {
      const narrow = { width: 600, height: 900 };
      const tall = autoLayout(nodes, { sizes: compact(), viewport: narrow, ports, untangle: true });
      assert.equal(flowDirection(nodes, tall), 'TB', 'the nodes draw inputs on top and outputs at the bottom');
      for (const node of nodes) {
        for (const ref of Object.values(node.inputs)) assert.ok(tall[node.id].y >= tall[ref.node].y + 70 + 40, `${ref.node} a layer above ${node.id}`);
      }
      const zoom = fitZoom(boundsOf(tall, compact()), narrow);
      assert.ok(titlePixels(zoom) >= 11, `titles ${titlePixels(zoom).toFixed(1)} px at zoom ${zoom.toFixed(2)}`);
      // Crossings counted on the curves drawn there (bottom handles to top handles), ports folded left to right.
      const tb = (positions: Record<string, { x: number; y: number }>) =>
        tangles(drawnEdges(nodes, foldedPorts(nodes, positions, ports, 'TB')), positions, () => ({ width: NODE_WIDTH, height: 70 }), 'TB');
      const plain = tb(autoLayout(nodes, { sizes: compact(), ports, direction: 'TB' }));
      const drawn = tb(tall);
      assert.ok(drawn.crossings + drawn.throughNodes <= plain.crossings + plain.throughNodes, `untangled ${JSON.stringify(drawn)} vs dagre's default ${JSON.stringify(plain)}`);
      assert.ok(drawn.crossings <= 1, `${drawn.crossings} crossings top to bottom`);
      // A wide pane, and the sample's own drawing, run left to right.
      assert.equal(flowDirection(nodes, autoLayout(nodes, { sizes: compact(), viewport: PANE, ports, untangle: true })), 'LR');
      assert.equal(flowDirection(nodes, Object.fromEntries(nodes.map((n) => [n.id, n.position!]))), 'LR');
    });

    it('top to bottom, crossings are counted from bottom handles to top handles, and compact handles fold left to right', () => {
      const size = () => ({ width: 100, height: 40 });
      const edges = [
        { source: 'a', out: [0, 1] as [number, number], target: 'd', in: [0, 1] as [number, number] },
        { source: 'b', out: [0, 1] as [number, number], target: 'c', in: [0, 1] as [number, number] },
      ];
      assert.equal(tangles(edges, { a: { x: 0, y: 0 }, b: { x: 200, y: 0 }, c: { x: 0, y: 300 }, d: { x: 200, y: 300 } }, size, 'TB').crossings, 1);
      assert.equal(tangles(edges, { a: { x: 0, y: 0 }, b: { x: 200, y: 0 }, c: { x: 200, y: 300 }, d: { x: 0, y: 300 } }, size, 'TB').crossings, 0);
      assert.equal(tangles([edges[0]], { a: { x: 0, y: 0 }, b: { x: 0, y: 300 }, d: { x: 0, y: 600 } }, size, 'TB').throughNodes, 1, 'straight down through b');
      // The evaluator's inputs: the model comes from the left (trainer), the examples from the right (example_gen).
      const at = { example_gen: { x: 300, y: 0 }, trainer: { x: 0, y: 300 }, evaluator: { x: 200, y: 600 } };
      const three = nodes.filter((n) => n.id in at).map((n) => (n.id === 'evaluator' ? n : { ...n, inputs: {} }));
      const folded = foldedPorts(three, at, ports, 'TB');
      assert.deepEqual(folded.evaluator.inputs, ['model', 'examples', 'baseline_model', 'schema']);
      assert.deepEqual(foldedPorts(three, { ...at, trainer: { x: 600, y: 300 } }, ports, 'TB').evaluator.inputs, ['examples', 'model', 'baseline_model', 'schema']);
      const specOrder = tangles(drawnEdges(three, ports), at, () => ({ width: NODE_WIDTH, height: 70 }), 'TB');
      const foldedOrder = tangles(drawnEdges(three, folded), at, () => ({ width: NODE_WIDTH, height: 70 }), 'TB');
      assert.deepEqual([specOrder.crossings, foldedOrder.crossings], [1, 0]);
    });

    it('reads the flow from where the nodes stand: edges running down make a top-to-bottom drawing', () => {
      const own = Object.fromEntries(nodes.map((n) => [n.id, n.position!]));
      const transposed = Object.fromEntries(Object.entries(own).map(([id, p]) => [id, { x: p.y, y: p.x }]));
      assert.equal(flowDirection(nodes, own), 'LR');
      assert.equal(flowDirection(nodes, transposed), 'TB');
      assert.equal(flowDirection(nodes, {}), 'LR', 'nothing placed');
    });

    it('untangles the drawing: taxi from 5 crossings (dagre’s default) to 1, taxi-tuned to 4 and no edge behind a node, at a readable zoom', () => {
      const plain = crossingsOf(autoLayout(nodes, { sizes: compact(), ports, direction: 'LR' }));
      const picked = autoLayout(nodes, { sizes: compact(), ports, viewport: PANE, untangle: true });
      // Not 0: example_gen and the Trainer both feed the Evaluator and the InfraValidator; without a
      // crossing, example_gen's two edges would have to fan out around the Trainer and everything
      // before it, which one bezier from one handle cannot do within a readable width.
      assert.equal(crossingsOf(picked).crossings, 1, `vs dagre's default ${plain.crossings}`);
      assert.ok(plain.crossings > 1);
      assert.ok(titlePixels(fitZoom(boundsOf(picked, compact()), PANE)) >= 11);
      const file = crossingsOf(Object.fromEntries(nodes.map((n) => [n.id, n.position!])));
      assert.ok(file.crossings <= 1, `the sample's own layout draws ${file.crossings} crossings`);

      const tunedFile = 'samples/taxi/taxi-tuned.pipeline.yaml';
      const tuned = canvasNodes(parsePipeline(readFileSync(tunedFile, 'utf8'), tunedFile));
      const tunedPorts = Object.fromEntries(tuned.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)!.inputs), outputs: Object.keys(specs.get(n.component)!.outputs) }]));
      const sizes = Object.fromEntries(tuned.map((n) => [n.id, { width: NODE_WIDTH, height: 70 }]));
      const laid = autoLayout(tuned, { sizes, ports: tunedPorts, viewport: PANE, untangle: true });
      // 4 crossings where there were 2 with 3 edges behind nodes: an edge behind a node weighs 1.5.
      const drawn = crossingsOf(laid, tuned, tunedPorts);
      assert.deepEqual(drawn, { crossings: 4, throughNodes: 0 }, 'taxi-tuned');
      const xs = tuned.map((n) => laid[n.id].x);
      const ys = tuned.map((n) => laid[n.id].y);
      assert.ok(titlePixels(fitZoom({ width: Math.max(...xs) + NODE_WIDTH, height: Math.max(...ys) + 70 }, PANE)) >= 11, 'taxi-tuned readable at fit view');
      assert.ok(crossingsOf(Object.fromEntries(tuned.map((n) => [n.id, n.position!])), tuned, tunedPorts).crossings <= 5, "taxi-tuned's own layout");
    });

    it('Auto layout keeps edges from passing behind nodes: an edge behind a node weighs more than a crossing', () => {
      // A chain a → b → c with a skip edge a → c: drawn in one row, a → c runs behind b.
      const chain: CanvasNode[] = [
        { id: 'a', component: 'X', params: {}, inputs: {} },
        { id: 'b', component: 'X', params: {}, inputs: { in: { node: 'a', output: 'out' } } },
        { id: 'c', component: 'X', params: {}, inputs: { first: { node: 'b', output: 'out' }, second: { node: 'a', output: 'out' } } },
      ];
      const chainPorts = { a: { inputs: [], outputs: ['out'] }, b: { inputs: ['in'], outputs: ['out'] }, c: { inputs: ['first', 'second'], outputs: [] } };
      const sizes = Object.fromEntries(chain.map((n) => [n.id, { width: NODE_WIDTH, height: 70 }]));
      const measure = (positions: Record<string, { x: number; y: number }>) => tangles(drawnEdges(chain, foldedPorts(chain, positions, chainPorts)), positions, () => ({ width: NODE_WIDTH, height: 70 }));
      assert.equal(measure({ a: { x: 0, y: 0 }, b: { x: 260, y: 0 }, c: { x: 520, y: 0 } }).throughNodes, 1, 'in one row a → c runs behind b');
      for (const direction of ['LR', 'TB'] as const) {
        const laid = autoLayout(chain, { sizes, ports: chainPorts, viewport: PANE, untangle: true, direction });
        const m = direction === 'LR' ? measure(laid) : tangles(drawnEdges(chain, foldedPorts(chain, laid, chainPorts, 'TB')), laid, () => ({ width: NODE_WIDTH, height: 70 }), 'TB');
        assert.deepEqual(m, { crossings: 0, throughNodes: 0 }, direction);
      }
      // taxi-tuned (the cramped one): no edge behind a node, at a readable zoom, few crossings.
      const tunedFile = 'samples/taxi/taxi-tuned.pipeline.yaml';
      const tuned = canvasNodes(parsePipeline(readFileSync(tunedFile, 'utf8'), tunedFile));
      const tunedPorts = Object.fromEntries(tuned.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)!.inputs), outputs: Object.keys(specs.get(n.component)!.outputs) }]));
      const laid = autoLayout(tuned, { sizes: Object.fromEntries(tuned.map((n) => [n.id, { width: NODE_WIDTH, height: 70 }])), ports: tunedPorts, viewport: PANE, untangle: true });
      const drawn = crossingsOf(laid, tuned, tunedPorts);
      assert.equal(drawn.throughNodes, 0, `${drawn.throughNodes} edges behind nodes in taxi-tuned (${drawn.crossings} crossings)`);
      // The shipped samples' own drawings too (taxi-tuned had 3 such edges, taxi-compressed 2), with
      // compact nodes as they draw: 43 px high, 69 px where the id wraps after its "_".
      const drawnHeight = (id: string) => (id.includes('_') ? 69 : 43);
      for (const sample of ['samples/taxi/taxi.pipeline.yaml', tunedFile, 'samples/taxi/taxi-compressed.pipeline.yaml']) {
        const of = canvasNodes(parsePipeline(readFileSync(sample, 'utf8'), sample));
        const declared = Object.fromEntries(of.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)!.inputs), outputs: Object.keys(specs.get(n.component)!.outputs) }]));
        const own = Object.fromEntries(of.map((n) => [n.id, n.position!]));
        const m = tangles(drawnEdges(of, foldedPorts(of, own, declared)), own, (id) => ({ width: NODE_WIDTH, height: drawnHeight(id) }));
        assert.equal(m.throughNodes, 0, `${sample}: ${JSON.stringify(m)}`);
        assert.ok(m.crossings <= 5, `${sample}: ${JSON.stringify(m)}`);
      }
    });

    it('folds a compact node’s handles in the order of their edges’ other ends, unwired ports last', () => {
      const at = { example_gen: { x: 0, y: 300 }, trainer: { x: 300, y: 0 }, evaluator: { x: 600, y: 200 } };
      const three = nodes.filter((n) => n.id in at).map((n) => (n.id === 'evaluator' ? n : { ...n, inputs: {} }));
      const folded = foldedPorts(three, at, ports);
      // The model comes from above (trainer), the examples from below (example_gen): model first.
      assert.deepEqual(folded.evaluator.inputs, ['model', 'examples', 'baseline_model', 'schema']);
      assert.deepEqual(ports.evaluator.inputs, ['examples', 'model', 'baseline_model', 'schema']);
      const lower = foldedPorts(three, { ...at, trainer: { x: 300, y: 500 } }, ports);
      assert.deepEqual(lower.evaluator.inputs, ['examples', 'model', 'baseline_model', 'schema']);
      // A twist at the evaluator is a crossing with the spec's order, none with the folded order.
      const specOrder = tangles(drawnEdges(three, ports), at, () => ({ width: NODE_WIDTH, height: 70 }));
      const foldedOrder = tangles(drawnEdges(three, folded), at, () => ({ width: NODE_WIDTH, height: 70 }));
      assert.deepEqual([specOrder.crossings, foldedOrder.crossings], [1, 0]);
    });

    it('untangle moves nodes until the drawing stops getting better, never onto another node', () => {
      const size = () => ({ width: 100, height: 40 });
      const edges = [
        { source: 'a', out: [0, 1] as [number, number], target: 'd', in: [0, 1] as [number, number] },
        { source: 'b', out: [0, 1] as [number, number], target: 'c', in: [0, 1] as [number, number] },
      ];
      const start = { a: { x: 0, y: 0 }, b: { x: 0, y: 100 }, c: { x: 300, y: 0 }, d: { x: 300, y: 100 } };
      const score = (p: Record<string, { x: number; y: number }>) => tangles(edges, p, size).crossings;
      assert.equal(score(start), 1);
      const moved = untangle(start, { size, links: edges, score, gap: { width: 20, height: 20 }, grid: 20, budget: 500 });
      assert.equal(score(moved), 0);
      for (const [i, p] of Object.values(moved).entries()) {
        for (const q of Object.values(moved).slice(i + 1)) assert.ok(Math.abs(p.x - q.x) >= 120 || Math.abs(p.y - q.y) >= 60, 'no overlap');
      }
      // Already untangled: nothing moves.
      assert.deepEqual(untangle(moved, { size, links: edges, score, gap: { width: 20, height: 20 }, grid: 20, budget: 500 }), moved);
    });

    it('counts a crossing once per pair of curves, and none between edges of the same two nodes', () => {
      const edges = [
        { source: 'a', out: [0, 1] as [number, number], target: 'd', in: [0, 1] as [number, number] },
        { source: 'b', out: [0, 1] as [number, number], target: 'c', in: [0, 1] as [number, number] },
      ];
      const size = () => ({ width: 100, height: 40 });
      assert.equal(tangles(edges, { a: { x: 0, y: 0 }, b: { x: 0, y: 200 }, c: { x: 300, y: 0 }, d: { x: 300, y: 200 } }, size).crossings, 1);
      assert.equal(tangles(edges, { a: { x: 0, y: 0 }, b: { x: 0, y: 200 }, c: { x: 300, y: 200 }, d: { x: 300, y: 0 } }, size).crossings, 0);
      const twisted = [
        { source: 'a', out: [0, 2] as [number, number], target: 'c', in: [1, 2] as [number, number] },
        { source: 'a', out: [1, 2] as [number, number], target: 'c', in: [0, 2] as [number, number] },
      ];
      assert.equal(tangles(twisted, { a: { x: 0, y: 0 }, c: { x: 300, y: 0 } }, size).crossings, 0, 'a port-order twist is no layout crossing');
      const through = tangles([edges[0]], { a: { x: 0, y: 0 }, d: { x: 600, y: 0 }, c: { x: 300, y: 0 } }, size);
      assert.equal(through.throughNodes, 1);
    });

    it("the taxi sample's own layout reads at fit view: every title ≥ 11 CSS px (compact nodes when zoomed out)", () => {
      const zoom = fitZoom(boundsOf(Object.fromEntries(nodes.map((n) => [n.id, n.position!])), compact()), PANE);
      assert.ok(zoom < COMPACT_ZOOM, `zoom ${zoom}: compact nodes`);
      assert.ok(titlePixels(zoom) >= 11, `titles ${titlePixels(zoom).toFixed(1)} px at zoom ${zoom.toFixed(2)}`);
      assert.equal(titlePixels(1), TITLE_FONT.full);
      // No fit between half size and full size draws a title under 11 px, compact or full.
      for (let z = 0.5; z <= 1.5; z += 0.01) assert.ok(titlePixels(z) >= 11, `titles ${titlePixels(z).toFixed(2)} px at zoom ${z.toFixed(2)}`);
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

  it('lists and objects of the Evaluator and Trainer get structured editors, not raw JSON', () => {
    const evaluator = specs.get('Evaluator')!.params.properties!;
    const trainer = specs.get('Trainer')!.params.properties!;
    assert.equal(fieldKind(evaluator.thresholds), 'list');
    assert.equal(fieldKind(evaluator.thresholds.items!), 'object');
    assert.equal(fieldKind(evaluator.thresholds.items!.properties!.change), 'object');
    assert.equal(fieldKind(evaluator.slicing_specs), 'list');
    assert.equal(fieldKind(evaluator.slicing_specs.items!), 'list');
    assert.equal(fieldKind(trainer.hyperparameters), 'record');
    assert.deepEqual(emptyValue(evaluator.thresholds.items!), { metric: '' }, 'a new threshold has its required field');
  });

  it('typed text is read per field kind; what cannot be read is an error, never an empty value', () => {
    const trainer = specs.get('Trainer')!.params.properties!;
    assert.deepEqual(readFieldText(trainer.epochs, 'abc'), { ok: false, error: '"abc" is not a number' });
    assert.deepEqual(readFieldText(trainer.epochs, '2.5'), { ok: false, error: '2.5 is not a whole number' });
    assert.deepEqual(readFieldText(trainer.epochs, ' 12 '), { ok: true, value: 12 });
    assert.deepEqual(readFieldText(trainer.timeout, '1.5'), { ok: true, value: 1.5 });
    const hp = { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }] };
    assert.equal(fieldKind(hp), 'scalar');
    assert.deepEqual(readFieldText(hp, '0.01'), { ok: true, value: 0.01 });
    assert.deepEqual(readFieldText(hp, 'true'), { ok: true, value: true });
    assert.deepEqual(readFieldText(hp, 'adam'), { ok: true, value: 'adam' });
    assert.equal(readFieldText({ type: 'object' }, '{nope').ok, false);
    // A count or 'auto': a number when it reads as one, else the text for the host's schema check.
    assert.equal(fieldKind(trainer.workers), 'scalar');
    assert.deepEqual(readFieldText(trainer.workers, ' 2 '), { ok: true, value: 2 });
    assert.deepEqual(readFieldText(trainer.workers, 'auto'), { ok: true, value: 'auto' });
  });
});
