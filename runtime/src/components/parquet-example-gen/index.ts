import { defineComponent } from '../../registry/types.ts';
import { parquetExampleGenSpec } from './spec.ts';

export { parquetExampleGenParams, parquetExampleGenSpec } from './spec.ts';

export const parquetExampleGen = {
  ...defineComponent(parquetExampleGenSpec, () => import('./executor.ts').then((m) => m.execute)),
  loadFanOut: () => import('./fan-out.ts').then((m) => m.fanOut),
};
