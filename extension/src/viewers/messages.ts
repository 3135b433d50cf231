/** Checks a message from a viewer page against protocol/messages.ts (Ajv) before it is acted on. */
import { Ajv, type ValidateFunction } from 'ajv';
import { ViewerToHostSchemas, type ViewerToHost } from '../../../protocol/messages.ts';

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<string, ValidateFunction>(Object.entries(ViewerToHostSchemas).map(([type, schema]) => [type, ajv.compile(schema)]));

export type ViewerMessageCheck = { ok: true; message: ViewerToHost } | { ok: false; reason: string };

/** A viewer page is untrusted content: only the messages of its schema get through. */
export function checkViewerMessage(raw: unknown): ViewerMessageCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'message is not an object' };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, reason: 'message has no string "type"' };
  const validate = Object.hasOwn(ViewerToHostSchemas, type) ? validators.get(type) : undefined;
  if (!validate) return { ok: false, reason: `unknown message type "${type.slice(0, 40)}"` };
  if (!validate(raw)) return { ok: false, reason: `invalid "${type}" message: ${validate.errors?.[0]?.instancePath || '(message)'} ${validate.errors?.[0]?.message ?? ''}`.trim() };
  return { ok: true, message: raw as ViewerToHost };
}

