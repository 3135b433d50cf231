import { defineComponent } from '../../core/registry.ts';
import { parquetExampleGenSpec } from './spec.ts';

export const parquetExampleGen = {
  ...defineComponent(parquetExampleGenSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
