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
import { autoLayout, COMPACT_ZOOM, compactNodeSize, drawnEdges, fillMissingPositions, fitZoom, flowDirection, fullNodeSize, NODE_HEIGHT, NODE_WIDTH, TITLE_FONT, titlePixels } from '../../webview/src/canvas/layout.ts';
import { laidOut, REFERENCE_PANE } from '../../scripts/layout-samples.ts';
import { CurveMemo, tangles } from '../../webview/src/canvas/crossings.ts';
import { foldedPorts } from '../../webview/src/canvas/port-order.ts';
import { untangle } from '../../webview/src/canvas/untangle.ts';
import { rowBreaks, wrapRoutes } from '../../webview/src/canvas/wrap-route.ts';
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

    const portsOf = (of: readonly CanvasNode[]) =>
      Object.fromEntries(of.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)?.inputs ?? { in: 0, skip: 0 }), outputs: Object.keys(specs.get(n.component)?.outputs ?? { out: 0 }) }]));
    /**
     * A drawing as the canvas shows it after "fit view" in `pane`: compact nodes, or full ones where
     * the fit lands at COMPACT_ZOOM or closer; its fit zoom, the share of the pane's width and height
     * it spans, its tangles (edges between rows routed) and overlapping nodes.
     */
    const asDrawn = (of: readonly CanvasNode[], positions: Record<string, { x: number; y: number }>, pane: { width: number; height: number }) => {
      const declared = portsOf(of);
      const span = (size: (id: string) => { width: number; height: number }) => {
        const xs = of.flatMap((n) => [positions[n.id].x, positions[n.id].x + size(n.id).width]);
        const ys = of.flatMap((n) => [positions[n.id].y, positions[n.id].y + size(n.id).height]);
        return { width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
      };
      let size = compactNodeSize as (id: string) => { width: number; height: number };
      if (fitZoom(span(size), pane) >= COMPACT_ZOOM) size = (id) => fullNodeSize(declared[id], compactNodeSize(id));
      const bounds = span(size);
      const zoom = fitZoom(bounds, pane);
      const direction = flowDirection(of, positions);
      const overlaps: string[] = [];
      for (const [i, a] of of.entries()) {
        for (const b of of.slice(i + 1)) {
          const [p, q] = [positions[a.id], positions[b.id]];
          if (p.x < q.x + size(b.id).width && q.x < p.x + size(a.id).width && p.y < q.y + size(b.id).height && q.y < p.y + size(a.id).height) overlaps.push(`${a.id} × ${b.id}`);
        }
      }
      return {
        zoom,
        direction,
        width: (zoom * bounds.width) / pane.width,
        height: (zoom * bounds.height) / pane.height,
        tangles: tangles(drawnEdges(of, foldedPorts(of, positions, declared, direction)), positions, size, direction),
        overlaps,
      };
    };

    it('without a pane runs left to right; in a pane picks the shape that fits it best, readable: taxi uses the height of a wide pane, top to bottom in a narrow one', () => {
      const wide = autoLayout(nodes, { sizes: compact(), ports, untangle: true });
      assert.ok(wide.pusher.x > wide.example_gen.x + 1200, 'left to right');
      assert.equal(flowDirection(nodes, wide), 'LR');
      const row = fitZoom(boundsOf(wide, compact()), PANE);
      const fitted = autoLayout(nodes, { sizes: compact(), viewport: PANE, ports, untangle: true, zoomedOut: true });
      const drawn = asDrawn(nodes, fitted, PANE);
      assert.ok(titlePixels(drawn.zoom) >= 11, `titles ${titlePixels(drawn.zoom).toFixed(1)} px`);
      assert.ok(drawn.zoom > row * 1.2, `fit zoom ${drawn.zoom.toFixed(2)} vs ${row.toFixed(2)} in one row`);
      assert.ok(drawn.height >= 0.6, `the drawing spans ${(100 * drawn.height).toFixed(0)} % of the pane's height (one row: ${((100 * row * boundsOf(wide, compact()).height) / PANE.height).toFixed(0)} %)`);
      assert.ok(drawn.tangles.crossings <= 1 && drawn.tangles.throughNodes <= 1, JSON.stringify(drawn.tangles));
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
      // Without a pane, left to right.
      assert.equal(flowDirection(nodes, autoLayout(nodes, { sizes: compact(), ports, untangle: true })), 'LR');
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
      const own = autoLayout(nodes);
      const transposed = Object.fromEntries(Object.entries(own).map(([id, p]) => [id, { x: p.y, y: p.x }]));
      assert.equal(flowDirection(nodes, own), 'LR');
      assert.equal(flowDirection(nodes, transposed), 'TB');
      assert.equal(flowDirection(nodes, {}), 'LR', 'nothing placed');
    });

    it('untangles the left-to-right drawing: taxi from 5 crossings (dagre’s default) to 1, taxi-tuned to 4 and no edge behind a node', () => {
      const plain = crossingsOf(autoLayout(nodes, { sizes: compact(), ports, direction: 'LR' }));
      const picked = autoLayout(nodes, { sizes: compact(), ports, untangle: true });
      // Not 0: example_gen and the Trainer both feed the Evaluator and the InfraValidator; without a
      // crossing, example_gen's two edges would have to fan out around the Trainer and everything
      // before it, which one bezier from one handle cannot do within a readable width.
      assert.equal(crossingsOf(picked).crossings, 1, `vs dagre's default ${plain.crossings}`);
      assert.ok(plain.crossings > 1);
      assert.ok(titlePixels(fitZoom(boundsOf(picked, compact()), PANE)) >= 11);

      const tunedFile = 'samples/taxi/taxi-tuned.pipeline.yaml';
      const tuned = canvasNodes(parsePipeline(readFileSync(tunedFile, 'utf8'), tunedFile));
      const tunedPorts = Object.fromEntries(tuned.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)!.inputs), outputs: Object.keys(specs.get(n.component)!.outputs) }]));
      const sizes = Object.fromEntries(tuned.map((n) => [n.id, { width: NODE_WIDTH, height: 70 }]));
      const laid = autoLayout(tuned, { sizes, ports: tunedPorts, untangle: true });
      // 4 crossings where there were 2 with 3 edges behind nodes: an edge behind a node weighs 1.5.
      const drawn = crossingsOf(laid, tuned, tunedPorts);
      assert.deepEqual(drawn, { crossings: 4, throughNodes: 0, square: 0 }, 'taxi-tuned');
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
        assert.deepEqual(m, { crossings: 0, throughNodes: 0, square: 0 }, direction);
      }
      // The shipped taxi-compressed sample's own drawing (it had 2 such edges).
      const sample = 'samples/taxi/taxi-compressed.pipeline.yaml';
      const of = canvasNodes(parsePipeline(readFileSync(sample, 'utf8'), sample));
      const own = Object.fromEntries(of.map((n) => [n.id, n.position!]));
      const m = tangles(drawnEdges(of, foldedPorts(of, own, portsOf(of))), own, compactNodeSize);
      assert.equal(m.throughNodes, 0, `${sample}: ${JSON.stringify(m)}`);
      assert.ok(m.crossings <= 5, `${sample}: ${JSON.stringify(m)}`);
    });

    it('the taxi samples open drawn as Auto layout draws them at 1600×1000 with the Explorer open: readable, the height used, few crossings', () => {
      // Measured on the shipped layout sections (scripts/layout-samples.ts writes them): taxi runs
      // top to bottom with 1 crossing and 1 edge behind a node, taxi-tuned top to bottom with 4 crossings.
      const limits = { 'taxi.pipeline.yaml': { crossings: 1, throughNodes: 1 }, 'taxi-tuned.pipeline.yaml': { crossings: 4, throughNodes: 0 } };
      for (const [name, limit] of Object.entries(limits)) {
        const file = `samples/taxi/${name}`;
        const of = canvasNodes(parsePipeline(readFileSync(file, 'utf8'), file));
        const drawn = asDrawn(of, Object.fromEntries(of.map((n) => [n.id, n.position!])), REFERENCE_PANE);
        assert.ok(titlePixels(drawn.zoom) >= 11, `${name}: titles ${titlePixels(drawn.zoom).toFixed(1)} px`);
        assert.ok(drawn.height >= 0.6, `${name}: ${(100 * drawn.height).toFixed(0)} % of the height`);
        assert.ok(drawn.tangles.crossings <= limit.crossings && drawn.tangles.throughNodes <= limit.throughNodes, `${name}: ${JSON.stringify(drawn.tangles)}`);
        assert.ok(drawn.overlaps.length === 0, `${name}: ${drawn.overlaps.join(', ')}`);
        const text = readFileSync(file, 'utf8');
        assert.equal(laidOut(file, text), text, `${name}: its layout is what Auto layout draws there (node --import tsx scripts/layout-samples.ts)`);
      }
    });

    it('folds a long pipeline into rows like lines of text: a larger fit zoom, the height used, edges between rows routed around the nodes', () => {
      // 14 steps in a chain, every third also feeding the step after next: one row is 14 layers wide.
      const wide: CanvasNode[] = Array.from({ length: 14 }, (_, i) => ({
        id: `step${i}`,
        component: 'Custom',
        params: {},
        inputs: i === 0 ? {} : { in: { node: `step${i - 1}`, output: 'out' }, ...(i >= 2 && i % 3 === 2 ? { skip: { node: `step${i - 2}`, output: 'out' } } : {}) },
      }));
      const declared = portsOf(wide);
      const sizes = Object.fromEntries(wide.map((n) => [n.id, compactNodeSize(n.id)]));
      const row = asDrawn(wide, autoLayout(wide, { sizes, ports: declared, untangle: true }), REFERENCE_PANE);
      const laid = autoLayout(wide, { sizes, viewport: REFERENCE_PANE, ports: declared, untangle: true, zoomedOut: true });
      const drawn = asDrawn(wide, laid, REFERENCE_PANE);
      assert.equal(drawn.direction, 'LR', 'still left to right: handles on the sides');
      assert.ok(drawn.zoom >= 2 * row.zoom, `fit zoom ${drawn.zoom.toFixed(2)} vs ${row.zoom.toFixed(2)} in one row`);
      assert.ok(drawn.height >= 0.6, `${(100 * drawn.height).toFixed(0)} % of the height (one row: ${(100 * row.height).toFixed(0)} %)`);
      assert.ok(titlePixels(drawn.zoom) >= 11);
      assert.deepEqual(drawn.overlaps, []);
      assert.equal(drawn.tangles.throughNodes, 0, JSON.stringify(drawn.tangles));
      assert.ok(drawn.tangles.crossings <= 2, JSON.stringify(drawn.tangles));
      // Rows: the chain reads left to right in each, the next row starts at the left.
      const ys = [...new Set(wide.map((n) => laid[n.id].y))];
      assert.ok(ys.length >= 2, 'more than one row');
      const size = (id: string) => (drawn.zoom >= COMPACT_ZOOM ? fullNodeSize(declared[id], sizes[id]) : sizes[id]);
      const boxes = new Map(wide.map((n) => [n.id, { ...laid[n.id], ...size(n.id) }]));
      const routes = wrapRoutes(
        wide.flatMap((n) => Object.values(n.inputs).map((ref) => ({ id: `${n.id}.${ref.node}`, source: ref.node, target: n.id }))),
        boxes,
      );
      assert.ok(routes.size >= 1, 'an edge runs from one row to the next');
      for (const [id, route] of routes) {
        const [target, source] = id.split('.');
        assert.ok(route.down > boxes.get(source)!.x + boxes.get(source)!.width && route.up < boxes.get(target)!.x, `${id} leaves right and enters left`);
        for (const [other, b] of boxes) assert.ok(!(route.channel > b.y && route.channel < b.y + b.height && Math.min(route.up, route.down) < b.x + b.width && Math.max(route.up, route.down) > b.x), `${id} runs along its channel through ${other}`);
      }
      assert.deepEqual(autoLayout(wide, { sizes, viewport: REFERENCE_PANE, ports: declared, untangle: true, zoomedOut: true }), laid, 'a pure function of the pipeline and the pane');
    });

    it('routes an edge from one row to the next along the channel between them: own tracks, no merged runs, forks from one handle are no crossing', () => {
      const size = () => ({ width: 100, height: 40 });
      // Row 1: a, b; row 2 (below a break of 100): c, d. a → c and b → c, b → d.
      const at = { a: { x: 0, y: 0 }, b: { x: 160, y: 0 }, c: { x: 0, y: 140 }, d: { x: 160, y: 140 } };
      const boxes = new Map(Object.entries(at).map(([id, p]) => [id, { ...p, ...size() }]));
      assert.deepEqual(rowBreaks(boxes.values()), [{ top: 40, bottom: 140 }]);
      const routes = wrapRoutes(
        [
          { id: 'ac', source: 'a', target: 'c' },
          { id: 'bc', source: 'b', target: 'c' },
          { id: 'bd', source: 'b', target: 'd' },
        ],
        boxes,
      );
      assert.equal(routes.size, 3, 'every edge across the break is routed, forward or back');
      const channels = [...routes.values()].map((r) => r.channel);
      assert.equal(new Set(channels).size, 3, 'each its own track');
      for (const r of routes.values()) assert.ok(r.channel > 40 && r.channel < 140, 'within the channel');
      assert.equal(routes.get('bc')!.down, routes.get('bd')!.down, "one node's edges share their descent");
      assert.ok(routes.get('ac')!.down < 160 && routes.get('bc')!.down > 260, 'down the gap right of each source');
      // Drawn as React Flow would (handles mid-side): b's two edges fork, they do not cross.
      const one = (source: string, target: string) => ({ source, out: [0, 1] as [number, number], target, in: [0, 1] as [number, number] });
      assert.equal(tangles([one('b', 'c'), one('b', 'd')], at, size).crossings, 0);
      // A plain left-to-right drawing has no break: its edges stay beziers.
      assert.equal(wrapRoutes([{ id: 'ab', source: 'a', target: 'b' }], new Map([...boxes].filter(([id]) => id === 'a' || id === 'b'))).size, 0);
    });

    it('a memo of curves and crossing tests (CurveMemo) counts what a fresh count does, over many drawings and both directions, rows and routed edges included', () => {
      const size = (id: string) => ({ width: 100, height: id === 'b' ? 60 : 40 });
      const one = (source: string, target: string, out: [number, number] = [0, 1], into: [number, number] = [0, 1]) => ({ source, out, target, in: into });
      const edges = [one('a', 'b'), one('a', 'c', [0, 2]), one('b', 'd', [0, 1], [0, 2]), one('c', 'd', [1, 2], [1, 2]), one('a', 'e', [1, 2]), one('d', 'e')];
      const memo = new CurveMemo();
      let routed = 0;
      // A seeded walk through drawings that differ in one node at a time, as the search moves them.
      let seed = 7;
      const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
      const at: Record<string, { x: number; y: number }> = { a: { x: 0, y: 0 }, b: { x: 160, y: 0 }, c: { x: 160, y: 100 }, d: { x: 320, y: 40 }, e: { x: 480, y: 0 } };
      for (let i = 0; i < 300; i++) {
        const id = 'abcde'[Math.floor(next() * 5)];
        at[id] = { x: Math.round(next() * 30) * 20, y: Math.round(next() * 20) * 20 };
        for (const direction of ['LR', 'TB'] as const) {
          assert.deepEqual(tangles(edges, at, size, direction, memo), tangles(edges, at, size, direction), `${direction} ${JSON.stringify(at)}`);
        }
        const boxes = new Map(Object.entries(at).map(([k, p]) => [k, { ...p, ...size(k) }]));
        routed += wrapRoutes(edges.map((e, k) => ({ id: String(k), source: e.source, target: e.target })), boxes).size;
      }
      assert.ok(routed > 0, 'some drawings route edges around the nodes');
      // An edge into a later row whose target stands right of its source is routed too (not only those running back left).
      const rows = { a: { x: 0, y: 0 }, b: { x: 160, y: 0 }, c: { x: 320, y: 200 }, d: { x: 480, y: 200 }, e: { x: 640, y: 200 } };
      const across = [one('a', 'b'), one('a', 'e'), one('c', 'd'), one('b', 'c')];
      assert.deepEqual(tangles(across, rows, size, 'LR', memo), tangles(across, rows, size, 'LR'));
      assert.equal(wrapRoutes(across.map((e, k) => ({ id: String(k), source: e.source, target: e.target })), new Map(Object.entries(rows).map(([k, p]) => [k, { ...p, ...size(k) }]))).size, 2);
    });

    it('each shape is weighed after its search, not on dagre’s drawings: taxi-compressed runs top to bottom in the reference pane', () => {
      // Weighed on dagre's drawings, its wrapped left-to-right drawing is ahead; searched, top to
      // bottom fits at 0.85 with 2 crossings against 0.77 and 6 (3 of them at right angles): a pick
      // made before the searches (tried to save time) drew the latter.
      const file = 'samples/taxi/taxi-compressed.pipeline.yaml';
      const of = canvasNodes(parsePipeline(readFileSync(file, 'utf8'), file));
      const declared = portsOf(of);
      const sizes = Object.fromEntries(of.map((n) => [n.id, compactNodeSize(n.id)]));
      const laid = autoLayout(of, { sizes, viewport: REFERENCE_PANE, ports: declared, untangle: true });
      const drawn = asDrawn(of, laid, REFERENCE_PANE);
      assert.equal(drawn.direction, 'TB');
      assert.ok(drawn.zoom >= 0.84, `fit zoom ${drawn.zoom.toFixed(2)}`);
      assert.ok(drawn.tangles.crossings <= 2 && drawn.tangles.throughNodes === 0, JSON.stringify(drawn.tangles));
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

    it('no fit between half size and full size draws a title under 11 CSS px, compact or full', () => {
      assert.equal(titlePixels(1), TITLE_FONT.full);
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
