import { defineComponent } from '../../core/registry.ts';
import { statisticsGenSpec } from './spec.ts';

export const statisticsGen = {
  ...defineComponent(statisticsGenSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
