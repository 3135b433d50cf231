import { defineComponent } from '../../core/registry.ts';
import { bulkInferrerSpec } from './spec.ts';

export const bulkInferrer = {
  ...defineComponent(bulkInferrerSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
