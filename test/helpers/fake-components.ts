/** Small real components for engine tests: they write files, sleep, fail or watch for cancellation on demand. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { defineComponent } from '../../runtime/src/core/registry.ts';
import { UserError } from '../../runtime/src/core/errors.ts';
import { Registry } from '../../runtime/src/core/registry.ts';

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
    }),
  },
  async () => async (ctx) => {
    timeline.push({ node: ctx.nodeId, event: 'start', t: performance.now() });
    await sleep(ctx.params.delay_ms, ctx.signal);
    if (ctx.params.fail) throw new UserError(`asked to fail`);
    const extra = ctx.params.data ? readFileSync(ctx.resolvePath(ctx.params.data), 'utf8') : '';
    writeFileSync(join(ctx.outputs.examples.uri, 'value.txt'), ctx.params.value + extra);
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
