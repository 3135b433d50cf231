// Entry of every pool worker: dispatches a named task to its function.
//
// The data components' tasks are imported up front (and load as the worker starts); every other
// component's tasks (from the list in components/index.ts) only when another task comes: they also
// bring in Transform's and the trainers' modules (esbuild, apache-arrow's ES module entry), ~100 ms
// per worker that a CsvExampleGen → StatisticsGen run would otherwise pay on every core before its
// first row.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { timelineMark } from '../util/pool-timeline.ts';
import { isUserError } from '../core/errors.ts';
import { encodeUserError } from '../core/user-error-wire.ts';
import { tasks as csvExampleGen } from '../components/csv-example-gen/tasks.ts';
import { tasks as parquetExampleGen } from '../components/parquet-example-gen/tasks.ts';
import { tasks as importExampleGen } from '../components/import-example-gen/tasks.ts';
import { tasks as statisticsGen } from '../components/statistics-gen/tasks.ts';
import type { WorkerTasks } from '../core/worker-pool.ts';

/** The pool's own tasks (tests and diagnostics). */
const poolTasks: WorkerTasks = {
  'pool.echo': (args: { value: unknown; delayMs?: number }) =>
    new Promise((resolve) => setTimeout(() => resolve(args.value), args.delayMs ?? 0)),
  'pool.threadId': async () => (await import('node:worker_threads')).threadId,
};

const dataTasks: WorkerTasks = { ...poolTasks, ...csvExampleGen, ...parquetExampleGen, ...importExampleGen, ...statisticsGen };
let allTasks: Promise<WorkerTasks> | undefined;

/**
 * The full task list: every listed component's tasks (components/index.ts). The bundle takes their
 * loadTasks() (import(), since require() of an ES module can abort the process, see
 * pool-worker.cjs). Run from source (tsx), a pool worker has tsx's require hook but not its import
 * hook, so it require()s each component folder's tasks.ts instead.
 */
async function loadAllTasks(): Promise<WorkerTasks> {
  if (import.meta.url.endsWith('.ts')) {
    const require = createRequire(import.meta.url);
    const folders = new URL('../components/', import.meta.url);
    const perFolder = readdirSync(folders, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/tasks.ts`, folders)))
      .map((d) => require(fileURLToPath(new URL(`${d.name}/tasks.ts`, folders))).tasks as WorkerTasks);
    return Object.assign({}, poolTasks, ...perFolder);
  }
  const { BUILTIN_COMPONENTS } = await import('../components/index.ts');
  const perComponent = await Promise.all(BUILTIN_COMPONENTS.map((c) => c.loadTasks?.() ?? {}));
  return Object.assign({}, poolTasks, ...perComponent);
}

timelineMark(`worker loaded (origin ${performance.timeOrigin.toFixed(1)})`);

/** Each component's tasks once loaded, by component type. */
const componentTasks = new Map<string, Promise<WorkerTasks>>();

/**
 * Only the tasks of the component a task's name is prefixed with (`evaluator.scanShard` →
 * Evaluator): a worker that evaluates does not load the trainers, esbuild or the tuner, which
 * costs every fresh worker about a second under load before its first row. Undefined when no
 * component goes by that prefix or it has no such task (the full list is the fallback).
 */
async function ownTasks(task: string): Promise<WorkerTasks | undefined> {
  if (import.meta.url.endsWith('.ts')) return undefined;
  const prefix = task.slice(0, task.indexOf('.')).toLowerCase();
  const { BUILTIN_COMPONENTS } = await import('../components/index.ts');
  const owner = BUILTIN_COMPONENTS.find((c) => c.loadTasks && c.spec.type.toLowerCase() === prefix);
  if (!owner) return undefined;
  let tasks = componentTasks.get(owner.spec.type);
  if (!tasks) componentTasks.set(owner.spec.type, (tasks = owner.loadTasks!()));
  const found = await tasks;
  return task in found ? found : undefined;
}

export default async function dispatch({ task, args }: { task: string; args: unknown }): Promise<unknown> {
  let fn = dataTasks[task] ?? (await ownTasks(task))?.[task];
  if (!fn) fn = (await (allTasks ??= loadAllTasks()))[task];
  if (!fn) throw new Error(`Unknown worker task "${task}"`);
  timelineMark(`start ${task}`);
  let result: unknown;
  try {
    result = await fn(args);
  } catch (e) {
    throw isUserError(e) ? encodeUserError(e) : e;
  }
  timelineMark(`end ${task}`);
  return result;
}
