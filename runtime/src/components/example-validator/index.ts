import { defineComponent } from '../../core/registry.ts';
import { resolvePreviousStatistics } from './resolve.ts';
import { exampleValidatorSpec } from './spec.ts';

export const exampleValidator = {
  ...defineComponent(exampleValidatorSpec, () => import('./executor.ts').then((m) => m.execute), {
    resolveInputs: resolvePreviousStatistics,
  }),
  loadTasks: () => import('./tasks.ts').then((m) => m.tasks),
};
