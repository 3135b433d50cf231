import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createElement as h } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { ReactFlowProvider } from '@xyflow/react';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { validatePipeline } from '../../runtime/src/pipeline/validate.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { canvasModel } from '../../extension/src/canvas/document-model.ts';
import { specMap, toComponentInfo } from '../../extension/src/canvas/specs.ts';
import { toFlow } from '../../webview/src/canvas/graph.ts';
import { autoLayout } from '../../webview/src/canvas/layout.ts';
import { PipelineNode, formatDuration } from '../../webview/src/canvas/PipelineNode.tsx';
import { PropertiesPanel } from '../../webview/src/canvas/PropertiesPanel.tsx';
import { SchemaForm } from '../../webview/src/canvas/SchemaForm.tsx';
import type { JsonSchema, NodeRunInfo, Problem } from '../../protocol/messages.ts';

const specs = specMap(builtinRegistry().list().map((d) => toComponentInfo(d.spec)));
const FILE = 'samples/taxi/taxi.pipeline.yaml';
const noop = () => {};
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function taxiFlow(text = readFileSync(FILE, 'utf8'), run: Record<string, NodeRunInfo> = {}) {
  const parsed = parsePipeline(text, FILE);
  const problems: Problem[] = validatePipeline(parsed, builtinRegistry(), { workspaceRoot: process.cwd() }).map((d) => ({
    severity: d.severity,
    message: d.message,
    code: d.code,
    nodeId: d.nodeId,
    field: d.field,
    line: d.range.start.line,
  }));
  const model = canvasModel(parsed, problems);
  return { model, ...toFlow(model, specs, run, {}) };
}

function renderNode(flow: ReturnType<typeof taxiFlow>, id: string, selected = false): string {
  const node = flow.nodes.find((n) => n.id === id)!;
  return renderToStaticMarkup(h(ReactFlowProvider, null, h(PipelineNode, { data: node.data, selected })));
}

/** Option values of the first <vscode-dropdown> in the markup. */
function dropdownOptions(html: string, field: string): string[] {
  const at = html.indexOf(`data-field="${field}"`);
  assert.ok(at >= 0, `no field ${field}`);
  const dropdown = html.slice(html.indexOf('<vscode-dropdown', at), html.indexOf('</vscode-dropdown>', at));
  return [...dropdown.matchAll(/<vscode-option value="([^"]*)"/g)].map((m) => m[1]);
}

function fieldHtml(html: string, field: string): string {
  const at = html.indexOf(`data-field="${field}"`);
  assert.ok(at >= 0, `no field ${field}`);
  const start = html.lastIndexOf('<div class="field', at);
  return html.slice(start, html.indexOf('data-field=', at + 12) === -1 ? undefined : html.indexOf('data-field=', at + 12));
}

describe('canvas React components (react-dom/server)', () => {
  it('a node shows its id, component, icon and one port per spec port', () => {
    const flow = taxiFlow();
    const html = renderNode(flow, 'example_validator');
    assert.match(html, /class="node-id">example_validator</);
    assert.match(html, /class="node-component">ExampleValidator</);
    assert.match(html, /codicon codicon-pass/);
    const spec = specs.get('ExampleValidator')!;
    for (const name of [...Object.keys(spec.inputs), ...Object.keys(spec.outputs)]) assert.ok(html.includes(`<span>${name}</span>`), name);
    assert.equal((html.match(/data-handleid="in:/g) ?? []).length, Object.keys(spec.inputs).length);
    assert.doesNotMatch(html, /node-problems/);
  });

  it('handles follow the drawing: inputs left and outputs right, or inputs on top and outputs at the bottom when it runs top to bottom', () => {
    const sides = (html: string) =>
      [...html.matchAll(/<div[^>]*data-handleid="(in|out):[^"]*"[^>]*>/g)].map((m) => `${m[1]}:${/data-handlepos="([a-z]+)"/.exec(m[0])?.[1]}`);
    // The taxi sample laid out left to right (its own drawing runs top to bottom, for the pane it was laid out for).
    const sample = taxiFlow();
    const row = autoLayout(sample.model.nodes);
    const wideModel = { ...sample.model, nodes: sample.model.nodes.map((n) => ({ ...n, position: row[n.id] })) };
    const wide = { model: wideModel, ...toFlow(wideModel, specs, {}, {}) };
    assert.ok(wide.nodes.every((n) => n.data.direction === 'LR'));
    assert.deepEqual([...new Set(sides(renderNode(wide, 'trainer')))].sort(), ['in:left', 'out:right']);
    // That drawing transposed: its edges run down.
    const model = { ...wide.model, nodes: wide.model.nodes.map((n) => ({ ...n, position: { x: n.position!.y, y: n.position!.x } })) };
    const tall = { model, ...toFlow(model, specs, {}, {}) };
    assert.ok(tall.nodes.every((n) => n.data.direction === 'TB'));
    const html = renderNode(tall, 'trainer');
    assert.deepEqual([...new Set(sides(html))].sort(), ['in:top', 'out:bottom']);
    // Labelled in a strip along each edge, inputs first (above the title), outputs last.
    assert.ok(html.indexOf('port-strip in') < html.indexOf('class="node-id"') && html.indexOf('class="node-id"') < html.indexOf('port-strip out'));
    const spec = specs.get('Trainer')!;
    for (const name of [...Object.keys(spec.inputs), ...Object.keys(spec.outputs)]) assert.ok(html.includes(`<span>${name}</span>`), name);
  });

  it("a node shows the validator's problems with their messages", () => {
    const text = readFileSync(FILE, 'utf8').replace('statistics: statistics_gen.statistics\n      schema:', 'statistics: statistics_gen.statistics\n      top_k: 3\n      schema:');
    const flow = taxiFlow(text.replace('component: StatisticsGen', 'component: StatisticsGen\n    params:\n      top_k: many'));
    const node = flow.nodes.find((n) => n.id === 'statistics_gen')!;
    assert.ok(node.data.problems.length > 0);
    const html = renderNode(flow, 'statistics_gen');
    assert.match(html, /class="node-problems error"/);
    assert.ok(html.includes(`<span>${node.data.problems.filter((p) => p.severity === 'error').length}</span>`));
    assert.ok(html.includes(escapeHtml(node.data.problems[0].message)));
  });

  it('a node shows its run state, progress and duration', () => {
    const flow = taxiFlow(undefined, {
      statistics_gen: { state: 'running', progress: { done: 30, total: 120, unit: 'shards' }, durationMs: 850 },
      example_gen: { state: 'cached', durationMs: 12_345 },
      schema_gen: { state: 'failed', durationMs: 125_000, message: 'boom' },
    });
    const running = renderNode(flow, 'statistics_gen');
    assert.match(running, /data-state="running"/);
    assert.match(running, /codicon-sync codicon-modifier-spin/);
    assert.ok(running.includes('Running · 30/120 shards · 850 ms'), running);
    assert.match(running, /aria-valuenow="25"/);
    assert.ok(renderNode(flow, 'example_gen').includes('Cached · 12.3 s'));
    const failed = renderNode(flow, 'schema_gen');
    assert.ok(failed.includes('Failed · 2m 05s'));
    assert.match(failed, /title="[^"]*boom"/);
    assert.doesNotMatch(renderNode(flow, 'example_validator'), /run-badge/);
    assert.equal(formatDuration(59_999), '60.0 s');
  });

  it('a training node shows its epoch, the loss so far and a sparkline of it', () => {
    const flow = taxiFlow(undefined, {
      trainer: {
        state: 'running',
        progress: { done: 3, total: 8, unit: 'epochs', metrics: { loss: 0.4123, val_loss: 0.5 } },
        series: { loss: [0.9, 0.6, 0.4123], val_loss: [1, 0.7, 0.5] },
        durationMs: 4200,
      },
    });
    const html = renderNode(flow, 'trainer');
    assert.ok(html.includes('Running · epoch 3/8 · loss 0.412 · 4.2 s'), html);
    assert.match(html, /class="sparkline"[^>]*data-metric="loss" data-points="3"/);
    // Falling loss: from the top left to the bottom right (the minimum at the bottom).
    assert.match(html, /<polyline points="0.0,1.0 [\d.]+,[\d.]+ 170.0,19.0"/);
  });

  it('a node of an unknown component still shows the ports the file wires', () => {
    const text = readFileSync(FILE, 'utf8').replace('component: SchemaGen', 'component: MySchemaGen');
    const flow = taxiFlow(text);
    const html = renderNode(flow, 'schema_gen');
    assert.match(html, /codicon-extensions/);
    assert.ok(html.includes('<span>statistics</span>'), 'input wired in the file');
    assert.ok(html.includes('<span>schema</span>'), 'output read by example_validator');
  });

  it('edges follow the file; a mistyped edge is marked', () => {
    const flow = taxiFlow();
    // Expected straight from the parsed file: one edge per wired input.
    const spec = parsePipeline(readFileSync(FILE, 'utf8'), FILE).spec;
    const expected = Object.entries(spec.nodes).flatMap(([id, node]) =>
      Object.entries(node.inputs).map(([input, ref]) => `${ref.node}.out:${ref.output} → ${id}.in:${input}`),
    );
    assert.ok(expected.length >= 4);
    assert.deepEqual(flow.edges.map((e) => `${e.source}.${e.sourceHandle} → ${e.target}.${e.targetHandle}`).sort(), expected.sort());
    const bad = taxiFlow(readFileSync(FILE, 'utf8').replace('schema: schema_gen.schema', 'schema: statistics_gen.statistics'));
    const edge = bad.edges.find((e) => e.id === 'example_validator.schema')!;
    assert.equal(edge.className, 'edge-problem');
    assert.match(edge.data.problem!, /Schema/);
  });

  it('the properties form is generated from the schema: enum → dropdown, boolean → checkbox, record, list', () => {
    const spec = specs.get('CsvExampleGen')!;
    const html = renderToStaticMarkup(
      h(SchemaForm, { schema: spec.params, values: { input: 'data/taxi.csv', skip_bad_rows: true, split_key: ['a', 'b'] }, problems: [], idPrefix: 'p', onSet: noop, onReset: noop }),
    );
    // Every parameter of the schema gets a field, in schema order.
    const fields = [...html.matchAll(/class="field field-[a-z]+[^"]*" data-field="([a-z_]+)"/g)].map((m) => m[1]);
    assert.deepEqual(fields, Object.keys(spec.params.properties!));
    const formatSchema = spec.params.properties!.format;
    const expected = (formatSchema.anyOf ?? []).map((s) => String(s.const));
    assert.ok(expected.length >= 2);
    assert.deepEqual(dropdownOptions(html, 'format'), ['', ...expected], 'the empty option is "the default"');
    // Not set: the default is a hint (an empty option naming it), not a value that is set.
    assert.match(fieldHtml(html, 'format'), /<vscode-option value="" selected="">default \(auto\)/);
    assert.match(fieldHtml(html, 'skip_bad_rows'), /<vscode-checkbox[^>]*checked=""/);
    assert.match(fieldHtml(html, 'input'), /<vscode-text-field[^>]*value="data\/taxi.csv"/);
    // Numbers are text fields (a number input turns "abc" into ""), the default as placeholder.
    const shard = spec.params.properties!.shard_size_mb;
    assert.match(fieldHtml(html, 'shard_size_mb'), new RegExp(`<vscode-text-field[^>]*value=""[^>]*type="text" placeholder="${String(shard.default)}"`));
    // splits: not set, so no rows; the default's entries are the hint.
    const splits = html.slice(html.indexOf('data-field="splits"'), html.indexOf('data-field="split_key"'));
    const defaults = spec.params.properties!.splits.default as Record<string, number>;
    assert.doesNotMatch(splits, /data-field="splits\./);
    assert.ok(splits.includes(escapeHtml(`default: ${JSON.stringify(defaults)}`)), splits);
    // split_key: a list, one row per item.
    assert.equal((html.match(/data-field="split_key\.\d"/g) ?? []).length, 2);
    assert.match(html, /data-field="split_key.1"[\s\S]*?value="b"/);
  });

  it('nested objects become fieldsets of their own fields', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        tuning: {
          type: 'object',
          properties: {
            trials: { type: 'integer', default: 10 },
            strategy: { anyOf: [{ const: 'random' }, { const: 'grid' }], default: 'random' },
            early_stop: { type: 'boolean', default: false },
          },
        },
      },
    };
    const html = renderToStaticMarkup(
      h(SchemaForm, { schema, values: { tuning: { trials: 3, strategy: 'grid' } }, problems: [], idPrefix: 'p', onSet: noop, onReset: noop }),
    );
    assert.match(html, /<fieldset class="object">/);
    assert.match(html, /data-field="tuning.trials"[\s\S]*?value="3"/);
    assert.deepEqual(dropdownOptions(html, 'tuning.strategy'), ['random', 'grid']);
    assert.match(fieldHtml(html, 'tuning.strategy'), /<vscode-option value="grid" selected=""/);
    assert.match(fieldHtml(html, 'tuning.early_stop'), /<vscode-checkbox id="[^"]*">/);
  });

  it("invalid values are marked with the validator's message at their field", () => {
    const text = readFileSync(FILE, 'utf8').replace('component: StatisticsGen', 'component: StatisticsGen\n    params:\n      top_k: 0\n      exclude_splits: [1]');
    const flow = taxiFlow(text);
    const node = flow.nodes.find((n) => n.id === 'statistics_gen')!;
    const topK = node.data.problems.find((p) => p.field === 'params.top_k');
    assert.ok(topK, JSON.stringify(node.data.problems));
    const html = renderToStaticMarkup(
      h(PropertiesPanel, {
        node: node.data.node,
        spec: specs.get('StatisticsGen'),
        problems: node.data.problems,
        onRename: noop,
        onSetParam: noop,
        onRemoveParam: noop,
        onDisconnect: noop,
        onShowText: noop,
      }),
    );
    const field = fieldHtml(html, 'top_k');
    assert.match(field, /has-error/);
    assert.match(field, /aria-invalid="true"/);
    assert.ok(field.includes(escapeHtml(topK.message)), field);
    // The list item's problem shows at the item.
    const item = node.data.problems.find((p) => p.field?.startsWith('params.exclude_splits'));
    assert.ok(item);
    assert.equal(item.field, 'params.exclude_splits.0');
    assert.ok(fieldHtml(html, 'exclude_splits.0').includes(escapeHtml(item.message)));
    assert.equal(html.split(escapeHtml(item.message)).length, 2, 'shown once');
    assert.doesNotMatch(fieldHtml(html, 'num_histogram_buckets'), /has-error/);
  });

  it('Evaluator thresholds: one fieldset per item with nested fields; defaults are placeholders', () => {
    const spec = specs.get('Evaluator')!;
    const values = { thresholds: [{ metric: 'accuracy', lower_bound: 0.6, change: { direction: 'higher_is_better', absolute: -0.01 } }], slicing_specs: [[], ['trip_start_hour']] };
    const html = renderToStaticMarkup(h(SchemaForm, { schema: spec.params, values, problems: [], idPrefix: 'p', onSet: noop, onReset: noop }));
    assert.match(html, /data-field="thresholds.0.metric"[\s\S]*?value="accuracy"/);
    assert.match(html, /data-field="thresholds.0.lower_bound"[\s\S]*?value="0.6"/);
    assert.match(fieldHtml(html, 'thresholds.0.change.direction'), /<vscode-option value="higher_is_better" selected=""/);
    assert.match(html, /data-field="slicing_specs.1.0"[\s\S]*?value="trip_start_hour"/);
    assert.doesNotMatch(html, /placeholder="JSON"/, 'no raw JSON field left');
    // bootstrap_resamples is not set: empty, its default as the placeholder.
    assert.match(fieldHtml(html, 'bootstrap_resamples'), /value="" type="text" placeholder="100"/);
  });

  it('a misspelt parameter has no field: listed at the top with its quick fix', () => {
    const flow = taxiFlow(readFileSync(FILE, 'utf8').replace('      epochs: 8', '      epoch: 8'));
    const node = flow.nodes.find((n) => n.id === 'trainer')!;
    const typo = node.data.problems.find((p) => p.field === 'params.epoch')!;
    assert.match(typo.message, /Did you mean "epochs"\?/);
    const render = (onFix?: () => void) =>
      renderToStaticMarkup(
        h(PropertiesPanel, {
          node: node.data.node,
          spec: specs.get('Trainer'),
          problems: [{ ...typo, fix: 'epochs' }],
          onRename: noop,
          onSetParam: noop,
          onRemoveParam: noop,
          onDisconnect: noop,
          onShowText: noop,
          onFix,
        }),
      );
    const html = render(noop);
    assert.ok(html.includes(escapeHtml(typo.message)), 'listed');
    assert.match(html, /class="link quick-fix"[^>]*>.*Change to &quot;epochs&quot;/);
    assert.doesNotMatch(render(), /quick-fix/, 'no button without a handler');
  });

  it('read-only forms have disabled controls and no add/remove buttons', () => {
    const spec = specs.get('CsvExampleGen')!;
    const html = renderToStaticMarkup(h(SchemaForm, { schema: spec.params, values: { split_key: ['a'] }, problems: [], disabled: true, idPrefix: 'p', onSet: noop, onReset: noop }));
    assert.doesNotMatch(html, /codicon-add|codicon-remove|codicon-discard/);
    assert.equal((html.match(/<vscode-text-field[^>]*disabled=""/g) ?? []).length, (html.match(/<vscode-text-field/g) ?? []).length);
  });
});
