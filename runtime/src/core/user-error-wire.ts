/**
 * A UserError thrown in a pool worker reaches the main thread as a structured clone, which keeps
 * only an Error's message and stack: its name and location would be lost and the user would see a
 * crash with a stack trace instead of a message naming the file or field. The worker encodes both
 * into the message; the pool decodes them back into a UserError.
 */
import { UserError } from './errors.ts';

const MARK = '\u0000tributary-user-error\u0000';

export function encodeUserError(e: UserError): Error {
  const err = new Error(`${MARK}${JSON.stringify({ message: e.message, location: e.location })}`);
  err.stack = e.stack;
  return err;
}

export function decodeUserError(e: unknown): unknown {
  if (!(e instanceof Error) || !e.message.startsWith(MARK)) return e;
  const { message, location } = JSON.parse(e.message.slice(MARK.length)) as { message: string; location?: UserError['location'] };
  return new UserError(message, location);
}
