import { Type } from '@sinclair/typebox';
import { Registry } from '../../runtime/src/core/registry.ts';
import { defineComponent } from '../../runtime/src/core/registry.ts';
import { type Executor } from '../../runtime/src/core/component.ts';

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

export function fakeRegistry(): Registry {
  return new Registry()
    .register(fakeCsvExampleGen)
    .register(fakeStatisticsGen)
    .register(fakeSchemaGen)
    .register(fakeExampleValidator);
}

/** 0-based line and column of the `occurrence`-th match of `needle` (plus `shift` characters), found by plain text search. */
export function positionOf(text: string, needle: string, shift = 0, occurrence = 1): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i < occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" not found ${occurrence} time(s)`);
  }
  index += shift;
  const before = text.slice(0, index).split('\n');
  return { line: before.length - 1, column: before[before.length - 1].length };
}

/** The range a needle occupies in the text. */
export function rangeOf(text: string, needle: string, occurrence = 1) {
  const start = positionOf(text, needle, 0, occurrence);
  return { start, end: { line: start.line, column: start.column + needle.length } };
}
