import { defineComponent } from '../../registry/types.ts';
import { importExampleGenSpec } from './spec.ts';

export { importExampleGenParams, importExampleGenSpec } from './spec.ts';

export const importExampleGen = {
  ...defineComponent(importExampleGenSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
};
