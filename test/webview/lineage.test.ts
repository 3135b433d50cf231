/**
 * The lineage viewer without VS Code: the graph the host builds from a metadata store (upstream to
 * the data and code, downstream to the consumers), the path a selection highlights, the layout, the
 * messages it sends, and the React Flow view rendered on the server.
 */
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ArtifactRecord, ExecutionRecord, StoreData } from '../../runtime/src/core/metadata-types.ts';
import { emptyStore } from '../../runtime/src/core/metadata-types.ts';
import { lineagePayload, LINEAGE_DOWNSTREAM_LIMIT } from '../../extension/src/viewers/lineage.ts';
import { checkViewerMessage } from '../../extension/src/viewers/messages.ts';
import { readFileSync } from 'node:fs';
import { BUILTIN_COMPONENTS } from '../../runtime/src/components/index.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { READABLE_TITLE } from '../../webview/src/canvas/layout.ts';
import { edgeId, LINEAGE_COMPACT_ZOOM, LINEAGE_FONT, layoutLineage, layoutLineageFor, lineageFitZoom, lineagePath, lineageTitlePixels } from '../../webview/src/viewers/lineage-layout.ts';
import { LineageView } from '../../webview/src/viewers/LineageView.tsx';
import type { LineageGraph } from '../../protocol/viewer-payload.ts';

const T = '2026-01-01T00:00:00.000Z';

/** example_gen → transform → trainer → evaluator and pusher, run r1; run r2's trainer is a cache hit of r1's. */
function store(): StoreData {
  const d = emptyStore();
  const artifact = (id: number, type: ArtifactRecord['type']) => d.artifacts.push({ id, type, uri: `/s/a${id}`, state: 'LIVE', fingerprint: `f${id}`, properties: {}, createdAt: T, updatedAt: T });
  const execution = (id: number, nodeId: string, component: string, params: Record<string, unknown> = {}, extra: Partial<ExecutionRecord> = {}) =>
    d.executions.push({ id, component, componentVersion: '1', nodeId, runId: 'r1', state: 'COMPLETE', params, cacheKey: `k${id}`, startedAt: T, pid: 1, logFile: `/s/logs/${nodeId}.log`, properties: {}, ...extra });
  const event = (executionId: number, artifactId: number, type: 'INPUT' | 'OUTPUT', key: string) => d.events.push({ executionId, artifactId, type, key, time: T });
  artifact(1, 'Examples');
  execution(1, 'example_gen', 'CsvExampleGen', { input: 'data/taxi.csv' });
  event(1, 1, 'OUTPUT', 'examples');
  artifact(2, 'TransformGraph');
  execution(2, 'transform', 'Transform', { module_file: 'taxi_transform.ts' });
  event(2, 1, 'INPUT', 'examples');
  event(2, 2, 'OUTPUT', 'transform_graph');
  artifact(3, 'Model');
  execution(3, 'trainer', 'Trainer', { module_file: 'taxi_trainer.ts', epochs: 3 });
  event(3, 1, 'INPUT', 'examples');
  event(3, 2, 'INPUT', 'transform_graph');
  event(3, 3, 'OUTPUT', 'model');
  artifact(4, 'ModelEvaluation');
  execution(4, 'evaluator', 'Evaluator');
  event(4, 3, 'INPUT', 'model');
  event(4, 1, 'INPUT', 'examples');
  event(4, 4, 'OUTPUT', 'evaluation');
  artifact(5, 'PushedModel');
  // The registry is where the Pusher writes (x-destination): not a source it read.
  execution(5, 'pusher', 'Pusher', { registry: 'registry', model_name: 'taxi' });
  event(5, 3, 'INPUT', 'model');
  event(5, 5, 'OUTPUT', 'pushed_model');
  return d;
}

/**
 * One complete run of a pipeline file as the store records it: an execution per node (its params
 * as written), an artifact per output its component declares, INPUT events as the file wires them.
 * Returns the store and the artifact id of each `node.output`.
 */
function storeOfPipeline(file: string): { data: StoreData; outputs: Map<string, number> } {
  const spec = parsePipeline(readFileSync(file, 'utf8'), file).spec;
  const d = emptyStore();
  const outputs = new Map<string, number>();
  let id = 200_000;
  for (const [nodeId, node] of Object.entries(spec.nodes)) {
    const component = BUILTIN_COMPONENTS.find((c) => c.spec.type === node.component)!;
    const executionId = ++id;
    d.executions.push({ id: executionId, component: node.component, componentVersion: '1', nodeId, runId: '20261206-220000-abcd', state: 'COMPLETE', params: node.params, cacheKey: `k${id}`, startedAt: T, pid: 1, logFile: `/s/logs/${nodeId}.log`, properties: {} });
    for (const [key, ref] of Object.entries(node.inputs)) d.events.push({ executionId, artifactId: outputs.get(`${ref.node}.${ref.output}`)!, type: 'INPUT', key, time: T });
    for (const [key, output] of Object.entries(component.spec.outputs as Record<string, { type: ArtifactRecord['type'] }>)) {
      const artifactId = ++id;
      d.artifacts.push({ id: artifactId, type: output.type, uri: `/s/a${artifactId}`, state: 'LIVE', fingerprint: `f${artifactId}`, properties: {}, createdAt: T, updatedAt: T });
      d.events.push({ executionId, artifactId, type: 'OUTPUT', key, time: T });
      outputs.set(`${nodeId}.${key}`, artifactId);
    }
  }
  return { data: d, outputs };
}

/**
 * The lineage viewer's flow pane at its default size: a 1600×1000 code-server window with the
 * Explorer open (the webview about 1250×880; the viewer gives the flow its width less 40 px and its
 * height less 180 px, App.tsx), rounded down.
 */
const VIEWER_PANE = { width: 1200, height: 690 };

/** No two placed nodes overlap. */
function assertApart(placed: readonly { key: string; x: number; y: number; width: number; height: number }[]): void {
  for (const a of placed) {
    for (const b of placed) {
      if (a === b) continue;
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `${a.key} overlaps ${b.key}`);
    }
  }
}

function graphOf(data: StoreData, id: number): LineageGraph {
  const p = lineagePayload(data, id);
  assert.equal(p.kind, 'lineage');
  return (p as Extract<typeof p, { kind: 'lineage' }>).graph;
}

describe('lineage viewer', () => {
  it('reaches up to the data and code and down to the consumers, each node once', () => {
    const g = graphOf(store(), 2);
    assert.equal(g.root, 'a2');
    assert.deepEqual(g.nodes.map((n) => n.key).sort(), ['a1', 'a2', 'a3', 'a4', 'a5', 'e1', 'e2', 'e3', 'e4', 'e5', 'scode:taxi_transform.ts', 'sdata:data/taxi.csv'].sort());
    const edges = g.edges.map((e) => `${e.from}-${e.label}->${e.to}`);
    for (const expected of ['sdata:data/taxi.csv-input->e1', 'scode:taxi_transform.ts-module_file->e2', 'a1-examples->e2', 'e2-transform_graph->a2', 'a2-transform_graph->e3', 'e3-model->a3', 'a3-model->e4', 'a3-model->e5', 'e5-pushed_model->a5']) {
      assert.ok(edges.includes(expected), `${expected} in ${edges.join(', ')}`);
    }
    assert.equal(new Set(g.edges.map(edgeId)).size, g.edges.length, 'no edge twice');
    const source = g.nodes.find((n) => n.key === 'sdata:data/taxi.csv')!;
    assert.deepEqual([source.kind, source.state, source.detail], ['source', 'data', 'data · input']);
    assert.ok(!g.nodes.some((n) => n.label === 'registry'), 'a destination is not a source');
    assert.equal(g.truncated, undefined);
  });

  it('a cache hit shows the inputs of the execution it reused', () => {
    const d = store();
    d.executions.push({ ...d.executions[2], id: 6, runId: 'r2', state: 'CACHED', cachedFrom: 3 });
    d.artifacts.push({ ...d.artifacts[2], id: 6 });
    d.events.push({ executionId: 6, artifactId: 6, type: 'OUTPUT', key: 'model', time: T });
    const g = graphOf(d, 6);
    const into = g.edges.filter((e) => e.to === 'e6').map((e) => e.from).sort();
    assert.deepEqual(into, ['a1', 'a2', 'scode:taxi_trainer.ts']);
  });

  it('cuts the downstream side at the limit and says so', () => {
    const d = store();
    for (let i = 0; i < LINEAGE_DOWNSTREAM_LIMIT + 5; i++) {
      d.executions.push({ ...d.executions[3], id: 100 + i, nodeId: `evaluator_${i}` });
      d.events.push({ executionId: 100 + i, artifactId: 3, type: 'INPUT', key: 'model', time: T });
    }
    const g = graphOf(d, 3);
    assert.equal(g.truncated, true);
    assert.ok(g.nodes.filter((n) => n.kind === 'execution').length <= LINEAGE_DOWNSTREAM_LIMIT + 3);
    assert.throws(() => lineagePayload(d, 999), /No artifact #999/);
  });

  it('highlights the path through a node: its ancestors and its descendants, not its siblings', () => {
    const g = graphOf(store(), 2);
    const path = lineagePath(g, 'a2');
    assert.deepEqual([...path.nodes].sort(), ['a1', 'a2', 'a3', 'a4', 'a5', 'e1', 'e2', 'e3', 'e4', 'e5', 'scode:taxi_transform.ts', 'sdata:data/taxi.csv'].sort());
    // examples → trainer does not pass through the transform graph.
    assert.ok(!path.edges.has('a1>e3'));
    assert.ok(path.edges.has('a2>e3') && path.edges.has('e1>a1') && path.edges.has('a3>e5'));
    const fromPusher = lineagePath(g, 'e5');
    assert.ok(!fromPusher.nodes.has('e4') && !fromPusher.nodes.has('a4'), 'the evaluator is a sibling of the pusher');
    assert.ok(fromPusher.nodes.has('sdata:data/taxi.csv'));
  });

  it('lays out left to right without overlaps, sources first', () => {
    const g = graphOf(store(), 2);
    const placed = layoutLineage(g);
    const at = new Map(placed.map((n) => [n.key, n]));
    for (const e of g.edges) assert.ok(at.get(e.from)!.x + at.get(e.from)!.width <= at.get(e.to)!.x, `${e.from} left of ${e.to}`);
    assertApart(placed);
  });

  it('runs downwards in a tall pane and across in a wide one, whichever shows it larger', () => {
    const g = graphOf(store(), 2);
    const tall = layoutLineageFor(g, { width: 600, height: 1400 });
    const wide = layoutLineageFor(g, { width: 3200, height: 400 });
    assert.equal(tall.direction, 'TB');
    assert.equal(wide.direction, 'LR');
    const at = new Map(tall.nodes.map((n) => [n.key, n]));
    for (const e of g.edges) assert.ok(at.get(e.from)!.y + at.get(e.from)!.height <= at.get(e.to)!.y, `${e.from} above ${e.to}`);
  });

  it("reads at fit view: the taxi Model's lineage in the viewer's default pane has titles of at least 11 CSS px", () => {
    for (const [file, least] of [
      ['samples/taxi/taxi.pipeline.yaml', 21],
      ['samples/taxi/taxi-tuned.pipeline.yaml', 23],
    ] as const) {
      const { data, outputs } = storeOfPipeline(file);
      const g = graphOf(data, outputs.get('trainer.model')!);
      assert.ok(g.nodes.length >= least, `${file}: ${g.nodes.length} nodes, from the CSV and both modules to the pushed model`);
      const { nodes, zoom } = layoutLineageFor(g, VIEWER_PANE);
      assert.equal(zoom, lineageFitZoom(nodes, VIEWER_PANE));
      // Before compact nodes (13 px titles at every zoom) taxi's fit landed at 0.42: 5.5 px.
      assert.ok(lineageTitlePixels(zoom) >= READABLE_TITLE, `${file}: fit zoom ${zoom.toFixed(2)}, titles ${lineageTitlePixels(zoom).toFixed(1)} px`);
      assertApart(nodes);
    }
  });

  it('draws compact below the zoom where a full title reads, and a compact title reads down to half that', () => {
    assert.ok(lineageTitlePixels(LINEAGE_COMPACT_ZOOM) >= READABLE_TITLE, 'full titles read from the switch on');
    assert.ok(lineageTitlePixels(LINEAGE_COMPACT_ZOOM - 0.01) > lineageTitlePixels(LINEAGE_COMPACT_ZOOM), 'just below it the compact title is larger');
    assert.equal(lineageTitlePixels(0.5), 0.5 * LINEAGE_FONT.compact);
    assert.ok(lineageTitlePixels(0.5) >= READABLE_TITLE);
    // Compact nodes show short labels: an execution's node id, a file's name, an artifact's type and id.
    const g = graphOf(store(), 2);
    const short = Object.fromEntries(g.nodes.map((n) => [n.key, n.short]));
    assert.equal(short.e3, 'trainer');
    assert.equal(short['sdata:data/taxi.csv'], 'taxi.csv');
    assert.equal(short.a2, 'TransformGraph #2');
    // Each node's box holds its short label at the compact font (0.7 em a character, and 68 px of icon, button and padding).
    for (const n of layoutLineage(g, 'TB')) assert.ok(n.width >= 0.7 * LINEAGE_FONT.compact * n.short.length + 68, `${n.key} ${n.width}`);
  });

  it('asks the host to open an execution log with a checked message', () => {
    assert.equal(checkViewerMessage({ type: 'openLog', executionId: 3 }).ok, true);
    assert.equal(checkViewerMessage({ type: 'openLog', executionId: 0 }).ok, false);
    assert.equal(checkViewerMessage({ type: 'openLog', executionId: 3, logFile: '/etc/passwd' }).ok, false);
  });

  it('renders on React Flow with zoom controls, the root marked and open buttons per kind', () => {
    const html = renderToStaticMarkup(createElement(LineageView, { graph: graphOf(store(), 2), actions: { openArtifact: () => undefined, openLog: () => undefined }, pane: { width: 1200, height: 700 } }));
    assert.match(html, /class="react-flow/);
    assert.match(html, /react-flow__controls/);
    assert.match(html, /Lineage of TransformGraph #2/);
    assert.match(html, /<strong>TransformGraph #2<\/strong>/, 'the root is selected at first');
  });
});
