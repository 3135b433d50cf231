import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ComponentInfo } from '../../../protocol/messages.ts';

/**
 * Checks one parameter value from the properties form against the component's own parameter
 * schema (the registry's, as the webview got it) before anything is written: a value the schema
 * refuses never reaches the file, and the form keeps the typed text marked invalid at `field`.
 */
let ajv: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

export type ParamCheck = { ok: true } | { ok: false; field: string; message: string };

export function checkParamValue(spec: ComponentInfo | undefined, name: string, value: unknown): ParamCheck {
  const schema = spec?.params.properties?.[name];
  // Unknown components and parameters are the validator's to report (as diagnostics), not ours.
  if (!schema) return { ok: true };
  let validate = compiled.get(schema);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: false, strict: false, validateSchema: false });
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return { ok: true };
  // A union (anyOf) reports each branch first: its own error says it best.
  const error = validate.errors?.find((e) => e.keyword === 'anyOf') ?? validate.errors?.[0];
  const path = (error?.instancePath ?? '').split('/').filter(Boolean).map(unescapePointer);
  return { ok: false, field: ['params', name, ...path].join('.'), message: `${[name, ...path].join('.')}: ${describe(error)}` };
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'is not valid here';
  switch (error.keyword) {
    case 'type':
      return `must be ${error.params.type === 'integer' ? 'a whole number' : `a ${String(error.params.type)}`}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(error.params.comparison)} ${String(error.params.limit)}`;
    case 'required':
      return `needs "${String(error.params.missingProperty)}"`;
    case 'additionalProperties':
      return `has no field "${String(error.params.additionalProperty)}"`;
    case 'const':
    case 'anyOf':
    case 'enum':
      return 'is not one of the allowed values';
    default:
      return error.message ?? 'is not valid here';
  }
}
