import { defineComponent } from '../../core/registry.ts';
import { csvExampleGenSpec } from './spec.ts';

export const csvExampleGen = {
  ...defineComponent(csvExampleGenSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
