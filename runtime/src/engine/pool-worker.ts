// Entry of every pool worker: dispatches a named task to its function.
//
// The data components' tasks are imported up front (and load as the worker starts); the full list
// in worker-tasks.ts only when another task comes: it also brings in Transform's and the trainers'
// modules (esbuild, apache-arrow's ES module entry), ~100 ms per worker that a CsvExampleGen →
// StatisticsGen run would otherwise pay on every core before its first row.
import { createRequire } from 'node:module';
import { timelineMark } from './pool-timeline.ts';
import { isUserError } from '../registry/types.ts';
import { encodeUserError } from './pool-errors.ts';
import { tasks as csvExampleGen } from '../components/csv-example-gen/tasks.ts';
import { tasks as statisticsGen } from '../components/statistics-gen/tasks.ts';

type Tasks = Record<string, (args: any) => unknown>;

const dataTasks: Tasks = { ...csvExampleGen, ...statisticsGen };
let allTasks: Promise<Tasks> | undefined;

/**
 * The full task list. Run from source (tsx), a pool worker has tsx's require hook but not its
 * import hook, so it takes require(); the bundle takes import(), since require() of an ES module
 * can abort the process (see pool-worker.cjs).
 */
function loadAllTasks(): Promise<Tasks> {
  const path = '../components/worker-tasks.ts';
  if (import.meta.url.endsWith('.ts')) return Promise.resolve(createRequire(import.meta.url)(path).workerTasks as Tasks);
  return import('../components/worker-tasks.ts').then((m) => m.workerTasks as Tasks);
}

timelineMark(`worker loaded (origin ${performance.timeOrigin.toFixed(1)})`);

export default async function dispatch({ task, args }: { task: string; args: unknown }): Promise<unknown> {
  let fn = dataTasks[task];
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
