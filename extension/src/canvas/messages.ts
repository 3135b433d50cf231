import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { CanvasToHostSchemas, type CanvasMessageType, type CanvasToHost } from '../../../webview/src/protocol.ts';

/**
 * Checks a message from the canvas webview against its schema in webview/src/protocol.ts before
 * anything acts on it: webview content is untrusted (a compromised or buggy page must not be able
 * to write arbitrary YAML or call arbitrary host code). The schema is picked by the `type`
 * discriminant so errors name the real problem instead of listing every union branch.
 */
const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<string, ValidateFunction>(
  Object.entries(CanvasToHostSchemas).map(([type, schema]) => [type, ajv.compile(schema)]),
);

export type MessageCheck = { ok: true; message: CanvasToHost } | { ok: false; reason: string };

export function checkCanvasMessage(raw: unknown): MessageCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'message is not an object' };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, reason: 'message has no string "type"' };
  const validate = Object.hasOwn(CanvasToHostSchemas, type) ? validators.get(type) : undefined;
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
