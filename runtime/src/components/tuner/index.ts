import { defineComponent } from '../../core/registry.ts';
import { tunerSpec } from './spec.ts';

export const tuner = {
  ...defineComponent(tunerSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
