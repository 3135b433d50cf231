import { defineComponent } from '../../core/registry.ts';
import { importExampleGenSpec } from './spec.ts';

export const importExampleGen = {
  ...defineComponent(importExampleGenSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
