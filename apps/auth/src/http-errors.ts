/**
 * The auth service's HTTP error edge: the status of each code its endpoints raise (the filter and error body are
 * the fleet's one, in @sightline/service-kit), plus the OAuth2 `error` field on failed logins.
 */
import { type ErrorBody } from '@sightline/contracts';
import { httpErrorFilter, type HttpErrorOptions, type StatusByCode } from '@sightline/service-kit';

export const AUTH_STATUS_BY_CODE = {
  VALIDATION_FAILED: 400,
  RESET_TOKEN_INVALID: 400,
  VERIFICATION_TOKEN_INVALID: 400,
  INVALID_CREDENTIALS: 401,
  SIGNUP_DISABLED: 403,
  EMAIL_NOT_VERIFIED: 403,
  USER_NOT_FOUND: 404,
  ROLE_NOT_FOUND: 404,
  USER_EXISTS: 409,
  ROLE_EXISTS: 409,
  ROLE_PROTECTED: 409,
  LAST_ADMIN: 409,
  TOO_MANY_GRANTS: 409,
  RATE_LIMITED: 429,
  DB_UNAVAILABLE: 503,
  AUTH_BUSY: 503,
} as const satisfies StatusByCode;

export const AUTH_HTTP_ERRORS: HttpErrorOptions<keyof typeof AUTH_STATUS_BY_CODE> = {
  statusByCode: AUTH_STATUS_BY_CODE,
  // OAuth2 clients look for `error` on the token endpoint (RFC 6749 §5.2).
  decorate: (body: ErrorBody) => (body.code === 'INVALID_CREDENTIALS' ? { ...body, error: 'invalid_grant' } : body),
};

export const authErrorFilter = httpErrorFilter(AUTH_HTTP_ERRORS);
