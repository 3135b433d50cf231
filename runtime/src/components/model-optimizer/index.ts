import { defineComponent } from '../../core/registry.ts';
import { modelOptimizerSpec } from './spec.ts';

export const modelOptimizer = {
  ...defineComponent(modelOptimizerSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
