import { defineComponent } from '../../core/registry.ts';
import { transformSpec } from './spec.ts';

export const transform = {
  ...defineComponent(transformSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
