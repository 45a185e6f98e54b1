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

/**
 * Codes several libs raise with one meaning (and clients see from more than one service): defined once here, and
 * referenced from each lib's own map (`{ configInvalid: SharedErrorCode.configInvalid, … }`).
 */
export const SharedErrorCode = {
  /** Configuration (environment, files, options) that cannot work; the process refuses to start or the call fails. */
  configInvalid: 'CONFIG_INVALID',
  /** The database cannot be reached or refuses connections; retry later. */
  dbUnavailable: 'DB_UNAVAILABLE',
  /** A request body, query or parameter failed its schema (with `fieldErrors`). */
  validationFailed: 'VALIDATION_FAILED',
  /** Too many requests or commands from one caller; `retryAfterSeconds` where known. */
  rateLimited: 'RATE_LIMITED',
  /** An unexpected failure; details are in the log only. */
  internal: 'INTERNAL',
  /** A source URL or path that cannot be used (wrong scheme, outside the media root, bad device option…). */
  invalidSource: 'INVALID_SOURCE',
  /** No such analysis session. */
  sessionNotFound: 'SESSION_NOT_FOUND',
  /** The caller holds no grant for the session. */
  sessionForbidden: 'SESSION_FORBIDDEN',
  /** A message over the bus's or the consumer's size limit. */
  messageTooLarge: 'MESSAGE_TOO_LARGE',
  /** A publish to the bus failed. */
  publishFailed: 'PUBLISH_FAILED',
} as const;
export type SharedErrorCode = ErrorCodeOf<typeof SharedErrorCode>;

/**
 * Why a bearer token was refused: the same codes from every service's HTTP edge and the gateway's WebSocket upgrade
 * (raised by @sightline/security, the auth service's own guard and the gateway).
 */
export const TokenErrorCode = {
  tokenMissing: 'TOKEN_MISSING',
  tokenInvalid: 'TOKEN_INVALID',
  tokenExpired: 'TOKEN_EXPIRED',
  tokenRevoked: 'TOKEN_REVOKED',
  /** The auth service's keys cannot be fetched; retry shortly (503). */
  authKeysUnavailable: 'AUTH_KEYS_UNAVAILABLE',
  /** A valid token without any of the roles the endpoint requires (403). */
  forbidden: 'FORBIDDEN',
} as const;
export type TokenErrorCode = ErrorCodeOf<typeof TokenErrorCode>;

/** Thrown when a message fails schema validation at a service boundary. */
export class InvalidMessageError extends SightlineError<typeof ContractErrorCode.invalidMessage> {
  constructor(reason: string, context: Record<string, unknown> = {}) {
    super(ContractErrorCode.invalidMessage, reason, context);
    this.name = 'InvalidMessageError';
  }
}
