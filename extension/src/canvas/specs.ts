import { BUILTIN_COMPONENTS, type ComponentSpec } from '../../../runtime/src/host-api.ts';
import type { ComponentInfo, JsonSchema } from '../../../protocol/messages.ts';

/** A registry spec as plain JSON for the webview (TypeBox's symbol keys dropped by the round trip). */
export function toComponentInfo(spec: ComponentSpec): ComponentInfo {
  return {
    type: spec.type,
    category: spec.category,
    ...(spec.icon ? { icon: spec.icon } : {}),
    description: spec.description,
    inputs: JSON.parse(JSON.stringify(spec.inputs)),
    outputs: JSON.parse(JSON.stringify(spec.outputs)),
    params: JSON.parse(JSON.stringify(spec.params)) as JsonSchema,
  };
}

/**
 * The built-in components' specs, read in the host without loading executors (the host bundles
 * leave the components' lazy imports out, see scripts/build.mjs).
 */
export function localSpecs(): ComponentInfo[] {
  return BUILTIN_COMPONENTS.map((c) => toComponentInfo(c.spec));
}

/**
 * The language server's answer (the full registry plus the pipeline's custom components) wins;
 * the local specs fill in while it starts or when it is not there.
 */
export function mergeSpecs(local: readonly ComponentInfo[], fromServer: readonly ComponentInfo[] | undefined): ComponentInfo[] {
  const byType = new Map(local.map((s) => [s.type, s]));
  for (const spec of fromServer ?? []) byType.set(spec.type, spec);
  return [...byType.values()];
}

export function specMap(specs: readonly ComponentInfo[]): Map<string, ComponentInfo> {
  return new Map(specs.map((s) => [s.type, s]));
}
