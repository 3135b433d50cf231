// Entry of every pool worker: dispatches a named task to its function.
import { workerTasks } from '../components/worker-tasks.ts';

export default async function dispatch({ task, args }: { task: string; args: unknown }): Promise<unknown> {
  const fn = (workerTasks as Record<string, (args: any) => unknown>)[task];
  if (!fn) throw new Error(`Unknown worker task "${task}"`);
  return fn(args);
}
