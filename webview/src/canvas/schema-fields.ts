import type { JsonSchema } from '../../../protocol/messages.ts';

/**
 * How the properties panel edits a value of a given JSON schema. The form is generated from the
 * component's parameter schema (the registry's TypeBox schema as JSON), never written by hand.
 */
export type FieldKind = 'enum' | 'boolean' | 'number' | 'string' | 'scalar' | 'list' | 'object' | 'record' | 'json';

export function enumValues(schema: JsonSchema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum;
  if ('const' in schema) return [schema.const];
  const union = schema.anyOf ?? schema.oneOf;
  if (union?.length && union.every((s) => 'const' in s || Array.isArray(s.enum))) return union.flatMap((s) => ('const' in s ? [s.const] : s.enum!));
  return undefined;
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

/**
 * A union of plain types (number | string | boolean), e.g. a hyperparameter's value, possibly with
 * named values beside a type (a worker count or 'auto'): typed as text, read per member type.
 */
function scalarUnion(schema: JsonSchema): boolean {
  const union = schema.anyOf ?? schema.oneOf;
  return !!union?.length && union.every((s) => !s.enum && ['number', 'integer', 'string', 'boolean'].includes(typeOf(s) ?? ''));
}

export function fieldKind(schema: JsonSchema): FieldKind {
  if (enumValues(schema)) return 'enum';
  if (scalarUnion(schema)) return 'scalar';
  switch (typeOf(schema)) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'integer':
      return 'number';
    case 'string':
      return 'string';
    case 'array':
      // Lists of anything the form can edit (scalars, objects, lists): one row per item.
      return schema.items && fieldKind(schema.items) !== 'json' ? 'list' : 'json';
    case 'object':
      if (schema.properties && Object.keys(schema.properties).length > 0) return 'object';
      if (recordValueSchema(schema)) return 'record';
      return 'json';
    default:
      return 'json';
  }
}

/** The value schema of a map-like object (TypeBox Record: patternProperties or additionalProperties). */
export function recordValueSchema(schema: JsonSchema): JsonSchema | undefined {
  const patterns = schema.patternProperties ? Object.values(schema.patternProperties) : [];
  if (patterns.length === 1) return patterns[0];
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

/** The text a field shows for a value (numbers and strings bare, the rest as JSON). */
export function displayValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a committed text means, or why it cannot mean anything for this field (nothing is sent then). */
export type FieldRead = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Reads the text typed into a text field as a value of the field's schema. Only the conversion
 * from text is judged here (a number field that does not hold a number, JSON that does not parse);
 * the schema's own constraints are checked by the host against the registry's schema before it
 * writes, and a refusal comes back to the same field.
 */
export function readFieldText(schema: JsonSchema, text: string): FieldRead {
  const trimmed = text.trim();
  switch (fieldKind(schema)) {
    case 'number': {
      const n = Number(trimmed);
      if (trimmed === '' || !Number.isFinite(n)) return { ok: false, error: `"${text}" is not a number` };
      if (typeOf(schema) === 'integer' && !Number.isInteger(n)) return { ok: false, error: `${trimmed} is not a whole number` };
      return { ok: true, value: n };
    }
    case 'scalar': {
      const types = (schema.anyOf ?? schema.oneOf)!.map(typeOf);
      const n = Number(trimmed);
      if (trimmed !== '' && Number.isFinite(n) && (types.includes('number') || types.includes('integer'))) return { ok: true, value: n };
      if ((trimmed === 'true' || trimmed === 'false') && types.includes('boolean')) return { ok: true, value: trimmed === 'true' };
      return types.includes('string') ? { ok: true, value: text } : { ok: false, error: `"${text}" is not a ${types.join(' or ')}` };
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch (e) {
        return { ok: false, error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
      }
    default:
      return { ok: true, value: parseFieldText(schema, text) };
  }
}

/**
 * The value a committed text means for a schema: numbers become numbers when they read as one;
 * anything else stays the typed text so the validator can say what is wrong with it.
 */
export function parseFieldText(schema: JsonSchema, text: string): unknown {
  const kind = fieldKind(schema);
  if (kind === 'number') {
    const n = Number(text.trim());
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (kind === 'enum') {
    const match = enumValues(schema)!.find((v) => displayValue(v) === text);
    return match === undefined ? text : match;
  }
  if (kind === 'json') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** A fresh item for a list or record (the schema's default, else an empty value of its type). */
export function emptyValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return structuredClone(schema.default);
  switch (fieldKind(schema)) {
    case 'enum':
      return enumValues(schema)![0];
    case 'boolean':
      return false;
    case 'number':
      return schema.minimum ?? (typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0);
    case 'list':
      return [];
    case 'object':
      // Required fields present (with their defaults or empty values) so a new item is valid.
      return Object.fromEntries((schema.required ?? []).map((name) => [name, emptyValue(schema.properties?.[name] ?? {})]));
    case 'record':
      return {};
    default:
      return '';
  }
}

/** A copy of `root` with `value` at `path` (creating objects on the way). */
export function setAtPath(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    copy[head as number] = setAtPath(copy[head as number], rest, value);
    return copy;
  }
  const object = root !== null && typeof root === 'object' ? { ...(root as Record<string, unknown>) } : {};
  object[head] = setAtPath(object[head], rest, value);
  return object;
}
