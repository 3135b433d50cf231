import type { ComponentCategory, ComponentInfo } from '../../../protocol/messages.ts';

/** Codicon per category, for components whose spec names no icon (custom ones, or specs not yet known). */
const BY_CATEGORY: Record<ComponentCategory, string> = {
  data: 'database',
  model: 'beaker',
  deployment: 'cloud-upload',
  custom: 'extensions',
};

export function componentIcon(spec: Pick<ComponentInfo, 'icon' | 'category'> | undefined): string {
  return spec?.icon ?? BY_CATEGORY[spec?.category ?? 'custom'];
}
