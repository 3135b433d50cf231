import { defineComponent } from '../../core/registry.ts';
import { infraValidatorSpec } from './spec.ts';

export const infraValidator = defineComponent(infraValidatorSpec, () => import('./executor.ts').then((m) => m.execute));
