/**
 * The SDK's own error codes (raised by the client, not sent by the gateway; the gateway's codes arrive in `error`
 * events as the server sent them). Kept here, not in @sightline/contracts: the published client has no dependencies.
 */
export const ClientErrorCode = {
  /** Options the client cannot work with (no token source, no session). */
  configInvalid: 'CONFIG_INVALID',
  /** A second async iterator over the same client. */
  iteratorBusy: 'ITERATOR_BUSY',
  /** `getToken` failed before a connection attempt (reported on `connectError`; the attempt is retried). */
  tokenUnavailable: 'TOKEN_UNAVAILABLE',
  /** The gateway chose another subprotocol than `json`. */
  subprotocolMismatch: 'SUBPROTOCOL_MISMATCH',
  /** The gateway sent a frame that is not JSON (reported on `serverError`). */
  invalidServerMessage: 'INVALID_SERVER_MESSAGE',
  /** The auth service could not be reached for a password login. */
  authUnreachable: 'AUTH_UNREACHABLE',
  /** The auth service refused the login or answered without a token. */
  loginFailed: 'LOGIN_FAILED',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** The SDK's own codes, or a code the gateway answered a refused upgrade with (passed through as sent). */
export type AnalysisClientErrorCode = ClientErrorCode | (string & Record<never, never>);

export class AnalysisClientError extends Error {
  constructor(
    readonly code: AnalysisClientErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AnalysisClientError';
  }
}
