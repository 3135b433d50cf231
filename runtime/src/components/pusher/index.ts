import { defineComponent } from '../../core/registry.ts';
import { pusherSpec } from './spec.ts';

export const pusher = defineComponent(pusherSpec, () => import('./executor.ts').then((m) => m.execute));
