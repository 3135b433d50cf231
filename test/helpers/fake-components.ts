/**
 * The test suite's fake components, in three sets:
 * - engine fakes (`source`, `transform`, `fakeRegistry`): small real components that write files,
 *   sleep, fail or watch for cancellation on demand, with a shared start/end `timeline`;
 * - spec fakes (`fake*Gen`, `fakeExampleValidator`, `fakeSpecRegistry`): the real components' ports
 *   and typical params for validation and editing tests; never executed;
 * - ops fakes (`fakeModel`, `fakeChecks`, `fakePush`, `opsPlan`, `approvalNodes`): the artifact
 *   types alerts and approvals look at, beside the built-in components.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import type { Executor } from '../../runtime/src/core/component.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import type { AlertRule } from '../../runtime/src/core/pipeline-spec.ts';
import type { PipelinePlan, PlanNode } from '../../runtime/src/core/plan.ts';
import { defineComponent, Registry } from '../../runtime/src/core/registry.ts';

// Engine fakes.


export const timeline: { node: string; event: 'start' | 'end'; t: number }[] = [];

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

export const source = defineComponent(
  {
    type: 'Source',
    version: '1',
    category: 'custom',
    description: 'Writes a value.',
    inputs: {},
    outputs: { examples: { type: 'Examples', description: 'value' } },
    params: Type.Object({
      value: Type.String({ default: 'v' }),
      delay_ms: Type.Number({ default: 0 }),
      fail: Type.Boolean({ default: false }),
      data: Type.Optional(Type.String({ 'x-path': 'file', description: 'a file whose content is hashed' })),
      random: Type.Boolean({ default: false, description: 'append random bytes: an executor whose output differs run to run (like training)' }),
    }),
  },
  async () => async (ctx) => {
    timeline.push({ node: ctx.nodeId, event: 'start', t: performance.now() });
    await sleep(ctx.params.delay_ms, ctx.signal);
    if (ctx.params.fail) throw new UserError(`asked to fail`);
    const extra = ctx.params.data ? readFileSync(ctx.resolvePath(ctx.params.data), 'utf8') : '';
    const noise = ctx.params.random ? `#${Math.random()}` : '';
    writeFileSync(join(ctx.outputs.examples.uri, 'value.txt'), ctx.params.value + extra + noise);
    ctx.outputs.examples.properties.value = ctx.params.value;
    ctx.log.info(`wrote ${ctx.params.value}`);
    timeline.push({ node: ctx.nodeId, event: 'end', t: performance.now() });
  },
);

export const transform = defineComponent(
  {
    type: 'Upper',
    version: '1',
    category: 'custom',
    description: 'Upper-cases its input into statistics.',
    inputs: { examples: { type: 'Examples', description: 'in' } },
    outputs: { statistics: { type: 'ExampleStatistics', description: 'out' } },
    params: Type.Object({ delay_ms: Type.Number({ default: 0 }) }),
  },
  async () => async (ctx) => {
    timeline.push({ node: ctx.nodeId, event: 'start', t: performance.now() });
    await sleep(ctx.params.delay_ms, ctx.signal);
    const v = readFileSync(join(ctx.inputs.examples.uri, 'value.txt'), 'utf8');
    writeFileSync(join(ctx.outputs.statistics.uri, 'value.txt'), v.toUpperCase());
    timeline.push({ node: ctx.nodeId, event: 'end', t: performance.now() });
  },
);

/** Source that asks to run alone (like InfraValidator, which times a server). */
export const exclusiveSource = { ...source, spec: { ...source.spec, type: 'Timer', resources: 'exclusive' as const } };

export function fakeRegistry(): Registry {
  return new Registry().register(source).register(transform).register(exclusiveSource);
}

// Spec fakes.

// Fakes with the real components' ports and typical params; they are never executed.
const noExecutor = <T>(): Promise<T> => Promise.reject(new Error('fake component: not executable'));

export const fakeCsvExampleGen = defineComponent(
  {
    type: 'CsvExampleGen',
    version: '1',
    category: 'data',
    description: 'fake',
    inputs: {},
    outputs: { examples: { type: 'Examples', description: 'rows' } },
    params: Type.Object({
      input: Type.String({ 'x-path': 'glob', description: 'CSV files' }),
      eval_fraction: Type.Number({ default: 0.2, minimum: 0, maximum: 1 }),
      delimiter: Type.Optional(Type.String()),
      mode: Type.Union([Type.Literal('hash'), Type.Literal('random')], { default: 'hash' }),
      splits: Type.Array(Type.Object({ name: Type.String(), buckets: Type.Integer() }), { default: [] }),
    }),
  },
  () => noExecutor<Executor<any, any, any>>(),
);

export const fakeStatisticsGen = defineComponent(
  {
    type: 'StatisticsGen',
    version: '1',
    category: 'data',
    description: 'fake',
    inputs: {
      examples: { type: 'Examples', description: 'rows' },
      schema: { type: 'Schema', description: 'optional schema', optional: true },
    },
    outputs: { statistics: { type: 'ExampleStatistics', description: 'stats' } },
    params: Type.Object({ num_top_values: Type.Integer({ default: 20, minimum: 1 }) }),
  },
  () => noExecutor<Executor<any, any, any>>(),
);

export const fakeSchemaGen = defineComponent(
  {
    type: 'SchemaGen',
    version: '1',
    category: 'data',
    description: 'fake',
    inputs: { statistics: { type: 'ExampleStatistics', description: 'stats' } },
    outputs: { schema: { type: 'Schema', description: 'schema' } },
    params: Type.Object({
      schema_file: Type.Optional(Type.String({ 'x-path': 'file' })),
      infer_feature_shape: Type.Boolean({ default: true }),
    }),
  },
  () => noExecutor<Executor<any, any, any>>(),
);

export const fakeExampleValidator = defineComponent(
  {
    type: 'ExampleValidator',
    version: '1',
    category: 'data',
    description: 'fake',
    inputs: {
      statistics: { type: 'ExampleStatistics', description: 'stats' },
      schema: { type: 'Schema', description: 'schema' },
      baseline_statistics: { type: 'ExampleStatistics', description: 'drift baseline', optional: true },
    },
    outputs: { anomalies: { type: 'ExampleAnomalies', description: 'anomalies' } },
    params: Type.Object({}),
  },
  () => noExecutor<Executor<any, any, any>>(),
);

export function fakeSpecRegistry(): Registry {
  return new Registry()
    .register(fakeCsvExampleGen)
    .register(fakeStatisticsGen)
    .register(fakeSchemaGen)
    .register(fakeExampleValidator);
}

// Ops fakes.


export const fakeModel = defineComponent(
  {
    type: 'FakeModel',
    version: '1',
    category: 'custom',
    description: 'Writes a model marker.',
    inputs: {},
    outputs: { model: { type: 'Model', description: 'm' } },
    params: Type.Object({ fail: Type.Boolean({ default: false }), tag: Type.String({ default: 'm' }) }),
  },
  async () => async (ctx) => {
    if (ctx.params.fail) throw new UserError('training diverged');
    writeFileSync(join(ctx.outputs.model.uri, 'model.txt'), ctx.params.tag);
  },
);

export const fakeChecks = defineComponent(
  {
    type: 'FakeChecks',
    version: '1',
    category: 'custom',
    description: 'Anomaly counts and a blessing as the real validator and evaluator record them.',
    inputs: { model: { type: 'Model', description: 'm' } },
    outputs: { anomalies: { type: 'ExampleAnomalies', description: 'a' }, blessing: { type: 'ModelBlessing', description: 'b' } },
    params: Type.Object({ errors: Type.Integer({ default: 0 }), warnings: Type.Integer({ default: 0 }), blessed: Type.Boolean({ default: true }) }),
  },
  async () => async (ctx) => {
    const { errors, warnings, blessed } = ctx.params;
    ctx.outputs.anomalies.properties = { anomalyCount: errors + warnings, errorCount: errors, warningCount: warnings, splits: ['eval'] };
    writeFileSync(join(ctx.outputs.blessing.uri, 'blessing.json'), JSON.stringify({ blessed, model: { uri: ctx.inputs.model.uri } }));
    ctx.outputs.blessing.properties = { blessed, modelId: ctx.inputs.model.id, failed: blessed ? [] : ['auc 0.61 < 0.7'] };
  },
);

export const fakePush = defineComponent(
  {
    type: 'FakePush',
    version: '1',
    category: 'custom',
    description: 'Records a push when the blessing says so.',
    inputs: { model: { type: 'Model', description: 'm' }, blessing: { type: 'ModelBlessing', description: 'b' } },
    outputs: { pushed_model: { type: 'PushedModel', description: 'p' } },
    params: Type.Object({}),
  },
  async () => async (ctx) => {
    const pushed = ctx.inputs.blessing.properties.blessed === true;
    writeFileSync(join(ctx.outputs.pushed_model.uri, 'pushed.json'), JSON.stringify({ pushed }));
    ctx.outputs.pushed_model.properties = pushed ? { pushed, modelName: 'taxi', version: 7, path: '/r/taxi/7', labels: ['canary'] } : { pushed };
  },
);

export function opsRegistry(): Registry {
  return builtinRegistry().clone().register(fakeModel).register(fakeChecks).register(fakePush);
}

export function opsPlan(dir: string, nodes: PlanNode[], alerts?: AlertRule[]): PipelinePlan {
  return { name: 'ops', file: join(dir, 'ops.pipeline.yaml'), dir, root: join(dir, '.tributary'), nodes, registry: opsRegistry(), ...(alerts ? { alerts } : {}) };
}

export const node = (id: string, component: string, params: Record<string, unknown> = {}, inputs: Record<string, string> = {}): PlanNode => ({
  id,
  component,
  params,
  inputs: Object.fromEntries(Object.entries(inputs).map(([k, ref]) => [k, { node: ref.split('.')[0], output: ref.split('.')[1] }])),
});

/** model → checks → approval → push, plus an independent `side` branch. */
export function approvalNodes(approvalParams: Record<string, unknown>): PlanNode[] {
  return [
    node('train', 'FakeModel'),
    node('side', 'FakeModel', { tag: 'side' }),
    node('checks', 'FakeChecks', {}, { model: 'train.model' }),
    node('approval', 'ManualApproval', { poll_interval_s: 0.05, ...approvalParams }, { model: 'train.model', blessing: 'checks.blessing' }),
    node('push', 'FakePush', {}, { model: 'train.model', blessing: 'approval.blessing' }),
  ];
}
