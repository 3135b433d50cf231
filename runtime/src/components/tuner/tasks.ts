/** Tuner's worker tasks (each run through runInWorker: one thread and backend per trial). */
import type { DescribeArgs, TrialArgs } from './trial-task.ts';

export const tasks = {
  // Imported lazily: pool workers of the data components should not load tfjs.
  'tuner.describe': async (args: DescribeArgs) => (await import('./trial-task.ts')).describe(args),
  'tuner.trial': async (args: TrialArgs) => (await import('./trial-task.ts')).trial(args),
};
