/**
 * True for a UserError, also one from another copy of this module (a user's bundled module, or a
 * second load under a TypeScript loader) or one rebuilt from a worker thread's structured clone.
 */
export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

/** A failure the user can act on: shown without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly location?: { file?: string; line?: number; column?: number; nodeId?: string; field?: string },
  ) {
    super(message);
    this.name = 'UserError';
  }
}
