/**
 * Every task a pool worker can run, by name. Each component folder exports its tasks from its
 * own `tasks.ts` (names prefixed with the component, e.g. `csv.parseRange`); they are listed here
 * once so the worker bundle contains them.
 */
import { tasks as csvExampleGen } from './csv-example-gen/tasks.ts';
import { tasks as parquetExampleGen } from './parquet-example-gen/tasks.ts';
import { tasks as importExampleGen } from './import-example-gen/tasks.ts';
import { tasks as statisticsGen } from './statistics-gen/tasks.ts';
import { tasks as schemaGen } from './schema-gen/tasks.ts';
import { tasks as exampleValidator } from './example-validator/tasks.ts';
import { tasks as transform } from './transform/tasks.ts';
import { tasks as trainer } from './trainer/tasks.ts';
import { tasks as tuner } from './tuner/tasks.ts';

const poolTasks = {
  'pool.echo': (args: { value: unknown; delayMs?: number }) =>
    new Promise((resolve) => setTimeout(() => resolve(args.value), args.delayMs ?? 0)),
  'pool.threadId': async () => (await import('node:worker_threads')).threadId,
};

export const workerTasks = { ...poolTasks, ...csvExampleGen, ...parquetExampleGen, ...importExampleGen, ...statisticsGen, ...schemaGen, ...exampleValidator, ...transform, ...trainer, ...tuner };
