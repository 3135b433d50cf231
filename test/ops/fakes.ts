/** Small components producing the artifact types alerts and approvals look at, for ops tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { defineComponent } from '../../runtime/src/core/registry.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import type { Registry } from '../../runtime/src/core/registry.ts';
import type { PipelinePlan, PlanNode } from '../../runtime/src/core/plan.ts';
import type { AlertRule } from '../../runtime/src/core/pipeline-spec.ts';

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
