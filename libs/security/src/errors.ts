/** Codes of the errors and warnings this library raises; the token codes are the fleet's (TokenErrorCode, contracts). */
import { SharedErrorCode, TokenErrorCode, type ErrorCodeOf } from '@sightline/contracts';

export const SecurityErrorCode = {
  ...TokenErrorCode,
  sessionForbidden: SharedErrorCode.sessionForbidden,
  /** A TokenVerifier built with neither a JWKS URL nor keys. */
  configInvalid: SharedErrorCode.configInvalid,
  /** The auth service's revocation feed did not answer 200. */
  revocationsUnavailable: 'REVOCATIONS_UNAVAILABLE',
} as const;
export type SecurityErrorCode = ErrorCodeOf<typeof SecurityErrorCode>;

/** Codes of the warnings this library logs (`code` field). */
export const SecurityWarningCode = {
  /** The auth keys could not be refreshed; tokens are verified with the last good keys. */
  authKeysStale: 'AUTH_KEYS_STALE',
} as const;
