/** Trainer's worker tasks (run through runInWorker so a timeout can terminate the thread). */
import type { TrainArgs } from './train-task.ts';

export const tasks = {
  // Imported lazily: pool workers of the data components should not load tfjs.
  'trainer.train': async (args: TrainArgs) => (await import('./train-task.ts')).train(args),
};
