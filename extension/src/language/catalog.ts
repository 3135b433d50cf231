/**
 * The component specs as plain JSON: what the language server answers to `tributary/specs` and
 * what every language feature reads. Built from the runtime's registry (never restated by hand);
 * no `vscode` import, so it runs in the server and in plain-Node tests.
 */
import type { Registry, ComponentCategory } from '../../../runtime/src/host-api.ts';

/** A JSON schema as TypeBox emits it (only the keywords the editor reads are named). */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  'x-path'?: 'file' | 'glob' | 'dir';
  'x-module'?: boolean;
  /** A parameter naming a function exported by the module in the named sibling parameter (e.g. `module_file`). */
  'x-export-of'?: string;
  [keyword: string]: unknown;
}

export interface PortJson {
  type: string;
  description: string;
  optional?: boolean;
}

export interface ComponentSpecJson {
  type: string;
  version: string;
  category: ComponentCategory;
  description: string;
  inputs: Record<string, PortJson>;
  outputs: Record<string, PortJson>;
  params: JsonSchema & { properties: Record<string, JsonSchema> };
}

/** The answer to `tributary/specs`. */
export interface Catalog {
  components: ComponentSpecJson[];
  /** Artifact type → description. */
  artifactTypes: Record<string, string>;
}

export function catalogFromRegistry(registry: Registry, artifactTypes: Record<string, string>): Catalog {
  // A JSON round trip drops TypeBox's symbol keys and functions: what is left is the JSON schema.
  const components = registry.list().map((d) => JSON.parse(JSON.stringify(d.spec)) as ComponentSpecJson);
  return { components, artifactTypes: { ...artifactTypes } };
}

export function findComponent(catalog: Catalog, type: string): ComponentSpecJson | undefined {
  return catalog.components.find((c) => c.type === type);
}

/** The values a schema allows, when it is a closed set (enum, union of literals, boolean). */
export function enumValues(schema: JsonSchema): unknown[] | undefined {
  if (schema.enum) return schema.enum;
  if (schema.anyOf?.length && schema.anyOf.every((s) => 'const' in s)) return schema.anyOf.map((s) => s.const);
  if (schema.type === 'boolean') return [true, false];
  return undefined;
}

/** A short type label for docs: `string`, `number ≥ 0`, `"auto" | "csv"`, `string[]`. */
export function typeLabel(schema: JsonSchema): string {
  const values = enumValues(schema);
  if (values && schema.type !== 'boolean') return values.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.type === 'array') return `${schema.items ? typeLabel(schema.items) : 'unknown'}[]`;
  if (schema.anyOf) return schema.anyOf.map(typeLabel).join(' | ');
  if (schema.type === 'object') return 'object';
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type ?? 'any';
  const bounds = [
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : '',
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : '',
    typeof schema.exclusiveMinimum === 'number' ? `> ${schema.exclusiveMinimum}` : '',
  ].filter(Boolean);
  return bounds.length ? `${type} ${bounds.join(', ')}` : type;
}
