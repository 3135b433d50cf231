import { defineComponent } from '../../core/registry.ts';
import { bulkInferrerSpec } from './spec.ts';

export const bulkInferrer = defineComponent(bulkInferrerSpec, () => import('./executor.ts').then((m) => m.execute));
