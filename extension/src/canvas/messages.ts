import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { CanvasToHostSchemas, type CanvasMessageType, type CanvasToHost } from '../../../protocol/messages.ts';

/**
 * Checks a message from the canvas webview against its schema in protocol/messages.ts before
 * anything acts on it: webview content is untrusted (a compromised or buggy page must not be able
 * to write arbitrary YAML or call arbitrary host code). The schema is picked by the `type`
 * discriminant so errors name the real problem instead of listing every union branch.
 */
// Compiled per type on first use: compiling them all (and checking them against the JSON Schema
// meta-schema) took ~55 ms when the canvas loaded, on the way to its first paint. The schemas are
// our own TypeBox builds, exercised by test/extension/canvas-messages.test.ts.
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function validatorFor(type: keyof typeof CanvasToHostSchemas): ValidateFunction {
  let validate = validators.get(type);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: false, strict: false, validateSchema: false });
    validate = ajv.compile(CanvasToHostSchemas[type]);
    validators.set(type, validate);
  }
  return validate;
}

export type MessageCheck = { ok: true; message: CanvasToHost } | { ok: false; reason: string };

export function checkCanvasMessage(raw: unknown): MessageCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'message is not an object' };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, reason: 'message has no string "type"' };
  const validate = isMessageType(type) ? validatorFor(type) : undefined;
  if (!validate) return { ok: false, reason: `unknown message type "${type.slice(0, 40)}"` };
  if (!validate(raw)) return { ok: false, reason: `invalid "${type}" message: ${describe(validate.errors?.[0])}` };
  return { ok: true, message: raw as CanvasToHost };
}

export function isMessageType(type: string): type is CanvasMessageType {
  return Object.hasOwn(CanvasToHostSchemas, type);
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'does not match its schema';
  const where = error.instancePath || '(message)';
  if (error.keyword === 'additionalProperties') return `${where} has unexpected property "${String(error.params.additionalProperty)}"`;
  return `${where} ${error.message ?? 'is invalid'}`;
}
