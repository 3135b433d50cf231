import { defineComponent } from '../../core/registry.ts';
import { trainerSpec } from './spec.ts';

export const trainer = {
  ...defineComponent(trainerSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
