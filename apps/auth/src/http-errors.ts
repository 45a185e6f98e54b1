/**
 * The auth service's HTTP error edge: the status of each code its endpoints raise (the filter and error body are
 * the fleet's one, in @sightline/service-kit), plus the OAuth2 `error` field on failed logins.
 */
import { type ErrorBody } from '@sightline/contracts';
import { IdentityErrorCode } from '@sightline/identity';
import { httpErrorFilter, type HttpErrorOptions, type StatusByCode } from '@sightline/service-kit';

/** Every identity code has its status here (a code added to the lib does not compile until it is placed). */
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
  // Start-up, configuration and mail failures: a logged 500 with the bare internal body.
  CONFIG_INVALID: 500,
  BOOTSTRAP_ADMIN_CONFLICT: 500,
  SIGNING_KEY_EXPOSED: 500,
  SIGNING_KEY_INVALID: 500,
  KEY_ROTATION_REFUSED: 500,
  MAIL_FAILED: 500,
} as const satisfies StatusByCode<IdentityErrorCode>;

export const AUTH_HTTP_ERRORS: HttpErrorOptions<IdentityErrorCode> = {
  statusByCode: AUTH_STATUS_BY_CODE,
  // OAuth2 clients look for `error` on the token endpoint (RFC 6749 §5.2).
  decorate: (body: ErrorBody) => (body.code === IdentityErrorCode.invalidCredentials ? { ...body, error: 'invalid_grant' } : body),
};

export const authErrorFilter = httpErrorFilter(AUTH_HTTP_ERRORS);
