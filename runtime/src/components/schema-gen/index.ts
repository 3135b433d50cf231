import { defineComponent } from '../../core/registry.ts';
import { schemaGenSpec } from './spec.ts';

export const schemaGen = {
  ...defineComponent(schemaGenSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
