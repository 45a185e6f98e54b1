/**
 * Every error we raise on purpose carries a stable machine-readable code and the context needed to act on it.
 * Codes are part of the public contract (they appear in `sourceError` events, HTTP error bodies and logs).
 */
export class SightlineError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SightlineError';
  }

  toJSON(): { code: C; message: string; context: Record<string, unknown> } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

/**
 * A lib's error codes: an `as const` map such as `{ invalidCursor: 'INVALID_CURSOR' }`; `ErrorCodeOf<typeof Map>` is
 * the union of its codes, which HTTP status tables (`StatusByCode` in service-kit) are typed over.
 */
export type ErrorCodeMap = Readonly<Record<string, string>>;
export type ErrorCodeOf<M extends ErrorCodeMap> = M[keyof M];

/** Codes raised by the contracts' own validation helpers. */
export const ContractErrorCode = {
  /** A message or request failed its schema at a service boundary. */
  invalidMessage: 'INVALID_MESSAGE',
  /** A session id outside `[A-Za-z0-9_-]{1,64}` (it becomes a NATS subject token). */
  invalidSessionId: 'INVALID_SESSION_ID',
} as const;
export type ContractErrorCode = ErrorCodeOf<typeof ContractErrorCode>;

/** Thrown when a message fails schema validation at a service boundary. */
export class InvalidMessageError extends SightlineError<typeof ContractErrorCode.invalidMessage> {
  constructor(reason: string, context: Record<string, unknown> = {}) {
    super(ContractErrorCode.invalidMessage, reason, context);
    this.name = 'InvalidMessageError';
  }
}
