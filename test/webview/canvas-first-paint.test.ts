import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { canvasModel } from '../../extension/src/canvas/document-model.ts';
import { localSpecs, mergeSpecs, specMap, toComponentInfo } from '../../extension/src/canvas/specs.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { toFlow } from '../../webview/src/canvas/graph.ts';
import { fillMissingPositions } from '../../webview/src/canvas/layout.ts';

/**
 * The canvas paints before the language server answers: from the document and the host's local
 * specs only. Components those specs lack (a pipeline's custom components, played here by
 * CsvExampleGen and Trainer) still get every node, every edge and the ports the file wires; the
 * server's specs then add the rest.
 */
const SERVER_ONLY = new Set(['CsvExampleGen', 'Trainer']);
const hostSpecs = () => localSpecs().filter((s) => !SERVER_ONLY.has(s.type));
const FILE = 'samples/taxi/taxi.pipeline.yaml';
const TEXT = readFileSync(FILE, 'utf8');
// What the file wires, read straight from the YAML (not through the canvas code under test).
const raw = parse(TEXT) as { nodes: Record<string, { inputs?: Record<string, string> }> };
const wiring = Object.entries(raw.nodes).flatMap(([id, n]) =>
  Object.entries(n.inputs ?? {}).map(([input, ref]) => ({ id, input, source: ref.split('.')[0], output: ref.split('.')[1] })),
);

describe('canvas first paint without the language server', () => {
  const model = canvasModel(parsePipeline(TEXT, FILE), []);
  const local = specMap(hostSpecs());
  const first = toFlow(model, local, {}, fillMissingPositions(model.nodes));

  it('the local specs really lack components the taxi pipeline uses (else this test proves nothing)', () => {
    const components = new Set(model.nodes.map((n) => n.component));
    assert.ok([...components].some((c) => !local.has(c)));
  });

  it('draws every node and every edge of the file, each input and read output as a port', () => {
    assert.deepEqual(first.nodes.map((n) => n.id).sort(), Object.keys(raw.nodes).sort());
    assert.equal(first.edges.length, wiring.length);
    for (const w of wiring) {
      assert.ok(first.edges.some((e) => e.source === w.source && e.target === w.id && e.targetHandle === `in:${w.input}` && e.sourceHandle === `out:${w.output}`), `${w.id}.${w.input}`);
      const target = first.nodes.find((n) => n.id === w.id)!;
      const source = first.nodes.find((n) => n.id === w.source)!;
      assert.ok(target.data.inputs.some((p) => p.name === w.input && p.wired));
      assert.ok(source.data.outputs.some((p) => p.name === w.output && p.wired));
    }
    for (const n of first.nodes) assert.ok(Number.isFinite(n.position.x) && Number.isFinite(n.position.y));
  });

  it('the server specs, merged in later, add the unwired ports and types of the other components', () => {
    const full = builtinRegistry().list().map((d) => d.spec);
    const enriched = toFlow(model, specMap(mergeSpecs(hostSpecs(), full.map(toComponentInfo))), {}, fillMissingPositions(model.nodes));
    const gen = model.nodes.find((n) => !local.has(n.component) && full.some((s) => s.type === n.component))!;
    const spec = full.find((s) => s.type === gen.component)!;
    const before = first.nodes.find((n) => n.id === gen.id)!;
    const after = enriched.nodes.find((n) => n.id === gen.id)!;
    assert.equal(before.data.spec, undefined);
    assert.deepEqual(after.data.outputs.map((p) => p.name).sort(), Object.keys(spec.outputs).sort());
    assert.ok(enriched.edges.filter((e) => e.source === gen.id).every((e) => e.label === spec.outputs[e.sourceHandle.slice(4)].type));
  });
});
