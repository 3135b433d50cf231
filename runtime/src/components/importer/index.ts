import { defineComponent } from '../../core/registry.ts';
import { importerSpec } from './spec.ts';

export const importer = defineComponent(importerSpec, () => import('./executor.ts').then((m) => m.execute));
