/**
 * Every error we raise on purpose carries a stable machine-readable code and the context needed to act on it.
 * Codes are part of the public contract (they appear in `sourceError` events, HTTP error bodies and logs).
 */
export class SightlineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SightlineError';
  }

  toJSON(): { code: string; message: string; context: Record<string, unknown> } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

/** Thrown when a message fails schema validation at a service boundary. */
export class InvalidMessageError extends SightlineError {
  constructor(reason: string, context: Record<string, unknown> = {}) {
    super('INVALID_MESSAGE', reason, context);
    this.name = 'InvalidMessageError';
  }
}
