import { defineComponent } from '../../core/registry.ts';
import { resolveLatestBlessedModel } from './resolve.ts';
import { evaluatorSpec } from './spec.ts';

export const evaluator = {
  ...defineComponent(evaluatorSpec, () => import('./executor.ts').then((m) => m.execute), {
    resolveInputs: resolveLatestBlessedModel,
  }),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
