import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Registry } from '../core/registry.ts';
import { UserError } from '../core/errors.ts';
import type { PipelineSpec } from '../core/pipeline-spec.ts';

// strict: false because TypeBox schemas carry our own keywords ('x-path', 'x-module') and TypeBox's.
// useDefaults stays off: validation must not change the user's values.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
const compiled = new WeakMap<TObject, ValidateFunction>();

function validatorFor(schema: TObject): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** A parameter problem located by its path inside the params object. */
export interface ParamProblem {
  kind: 'unknown' | 'missing' | 'invalid';
  /** Path inside params: the unknown/missing property itself, or the offending value. */
  path: (string | number)[];
  message: string;
}

/**
 * Checks params against a component's schema. Parameters with a schema default count as given, and
 * unknown parameters are reported even though TypeBox objects allow additional properties by default.
 */
export function checkParams(schema: TObject, params: Record<string, unknown>): ParamProblem[] {
  const withDefaults = Value.Default(schema, structuredClone(params)) as Record<string, unknown>;
  const problems: ParamProblem[] = [];
  const known = new Set(Object.keys(schema.properties ?? {}));
  const allowsExtra = schema.additionalProperties !== undefined && schema.additionalProperties !== false;
  if (!allowsExtra) {
    for (const name of Object.keys(params)) {
      if (!known.has(name)) problems.push({ kind: 'unknown', path: [name], message: '' });
    }
  }
  const validate = validatorFor(schema);
  if (validate(withDefaults)) return problems;
  const reported = new Set(problems.map((p) => p.path.join('/')));
  for (const error of outermostErrors(validate.errors ?? [])) {
    const at = pointerToPath(error.instancePath);
    if (error.keyword === 'additionalProperties') {
      const path = [...at, String(error.params.additionalProperty)];
      if (!reported.has(path.join('/'))) problems.push({ kind: 'unknown', path, message: '' });
    } else if (error.keyword === 'required') {
      problems.push({ kind: 'missing', path: [...at, String(error.params.missingProperty)], message: '' });
    } else {
      problems.push({ kind: 'invalid', path: at, message: describeError(error, schema) });
    }
  }
  return problems;
}

/**
 * Ajv reports a failed anyOf once per branch and once for the anyOf; keep only the outermost error for
 * each value (and every required/additionalProperties error, which name different properties).
 */
function outermostErrors(errors: ErrorObject[]): ErrorObject[] {
  const byValue = new Map<string, ErrorObject>();
  const result: ErrorObject[] = [];
  for (const error of errors) {
    if (error.keyword === 'required' || error.keyword === 'additionalProperties') {
      result.push(error);
      continue;
    }
    const current = byValue.get(error.instancePath);
    if (!current || depth(error.schemaPath) < depth(current.schemaPath)) byValue.set(error.instancePath, error);
  }
  return [...result, ...byValue.values()];
}

function depth(schemaPath: string): number {
  return schemaPath.split('/').length;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function describeError(error: ErrorObject, root: TSchema): string {
  if (error.keyword === 'anyOf') {
    const schema = schemaAt(root, error.schemaPath.replace(/\/anyOf$/, ''));
    const branches = (schema?.anyOf as TSchema[] | undefined) ?? [];
    // Each branch in words, instead of Ajv's "must match a schema in anyOf": constants as a list
    // of values, mixed branches (a number or "auto") joined by "or".
    const said = branches.map(describeBranch);
    if (branches.length && said.every((s) => s !== undefined)) {
      return branches.every((branch) => branch.const !== undefined) ? `must be one of ${said.join(', ')}` : `must be ${said.join(' or ')}`;
    }
  }
  if (error.keyword === 'enum') return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  // Ajv says "must be integer"; the bounds come with their own errors once the type is right.
  if (error.keyword === 'type') {
    const said = describeBranch({ type: error.params.type });
    if (said) return `must be ${said}`;
  }
  return error.message ?? 'is invalid';
}

/** One anyOf branch in words ("a whole number ≥ 1", "\"auto\""), or undefined where it has no short name. */
function describeBranch(branch: Record<string, unknown>): string | undefined {
  if (branch.const !== undefined) return JSON.stringify(branch.const);
  const bounds = [branch.minimum !== undefined ? ` ≥ ${String(branch.minimum)}` : '', branch.maximum !== undefined ? ` ≤ ${String(branch.maximum)}` : ''].filter(Boolean).join(' and');
  switch (branch.type) {
    case 'integer':
      return `a whole number${bounds}`;
    case 'number':
      return `a number${bounds}`;
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    default:
      return undefined;
  }
}

/** The subschema at an Ajv schemaPath such as `#/properties/mode/anyOf`. */
function schemaAt(root: TSchema, schemaPath: string): Record<string, unknown> | undefined {
  let current: unknown = root;
  for (const segment of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current as Record<string, unknown> | undefined;
}

/** Values in params whose schema marks them as a path (`x-path`) or a user module (`x-module`). */
export type PathKind = 'file' | 'glob' | 'dir' | 'module';

export function pathParams(schema: TSchema, value: unknown, path: (string | number)[] = []): { path: (string | number)[]; value: string; kind: PathKind }[] {
  const found: { path: (string | number)[]; value: string; kind: PathKind }[] = [];
  if ((schema['x-path'] || schema['x-module'] === true) && typeof value === 'string') {
    found.push({ path, value, kind: schema['x-module'] === true ? 'module' : (schema['x-path'] as PathKind) });
  }
  if (schema.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema = (schema.properties as Record<string, TSchema>)[key];
      if (childSchema) found.push(...pathParams(childSchema, child, [...path, key]));
    }
  }
  if (schema.items && Array.isArray(value)) {
    value.forEach((child, index) => found.push(...pathParams(schema.items as TSchema, child, [...path, index])));
  }
  for (const branch of (schema.anyOf as TSchema[] | undefined) ?? []) {
    if (found.length === 0) found.push(...pathParams(branch, value, path));
  }
  return found;
}

/** A node's params with schema defaults filled in: what the executor receives. */
export function nodeParamsWithDefaults(spec: PipelineSpec, registry: Registry, nodeId: string): Record<string, unknown> {
  const node = spec.nodes[nodeId];
  if (!node) throw new UserError(`Pipeline "${spec.name}" has no node "${nodeId}".`, { nodeId });
  const definition = registry.get(node.component);
  if (!definition) throw new UserError(`Node "${nodeId}" uses unknown component "${node.component}".`, { nodeId });
  return Value.Default(definition.spec.params, structuredClone(node.params)) as Record<string, unknown>;
}
