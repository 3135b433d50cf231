import { defineComponent } from '../../registry/types.ts';
import { schemaGenSpec } from './spec.ts';

export const schemaGen = defineComponent(schemaGenSpec, () => import('./executor.ts').then((m) => m.execute));
