import { defineComponent } from '../../core/registry.ts';
import { manualApprovalSpec } from './spec.ts';

export const manualApproval = defineComponent(manualApprovalSpec, () => import('./executor.ts').then((m) => m.execute));
