/** Codes of the errors and warnings this library raises (the auth service's HTTP table maps them to statuses). */
import { SharedErrorCode, type ErrorCodeOf } from '@sightline/contracts';

export const IdentityErrorCode = {
  validationFailed: SharedErrorCode.validationFailed,
  rateLimited: SharedErrorCode.rateLimited,
  dbUnavailable: SharedErrorCode.dbUnavailable,
  /** A setting that names something that does not exist (e.g. the signup default role). */
  configInvalid: SharedErrorCode.configInvalid,
  invalidCredentials: 'INVALID_CREDENTIALS',
  emailNotVerified: 'EMAIL_NOT_VERIFIED',
  signupDisabled: 'SIGNUP_DISABLED',
  verificationTokenInvalid: 'VERIFICATION_TOKEN_INVALID',
  resetTokenInvalid: 'RESET_TOKEN_INVALID',
  userNotFound: 'USER_NOT_FOUND',
  userExists: 'USER_EXISTS',
  roleNotFound: 'ROLE_NOT_FOUND',
  roleExists: 'ROLE_EXISTS',
  roleProtected: 'ROLE_PROTECTED',
  /** Refused: the change would leave no administrator. */
  lastAdmin: 'LAST_ADMIN',
  tooManyGrants: 'TOO_MANY_GRANTS',
  /** Too many password checks in progress (or shutting down); retry shortly. */
  authBusy: 'AUTH_BUSY',
  /** The configured first administrator's name or e-mail belongs to a non-admin account. */
  bootstrapAdminConflict: 'BOOTSTRAP_ADMIN_CONFLICT',
  /** A signing key file readable by other users. */
  signingKeyExposed: 'SIGNING_KEY_EXPOSED',
  /** A signing key file that cannot be read, parsed or written. */
  signingKeyInvalid: 'SIGNING_KEY_INVALID',
  /** A key rotation step that does not fit the files found. */
  keyRotationRefused: 'KEY_ROTATION_REFUSED',
  mailFailed: 'MAIL_FAILED',
} as const;
export type IdentityErrorCode = ErrorCodeOf<typeof IdentityErrorCode>;

/** Codes of the warnings and errors this library logs (`code` field). */
export const IdentityLogCode = {
  /** No SMTP_URL: mails go to the outbox directory (development only). */
  mailOutbox: 'MAIL_OUTBOX',
  /** No administrator exists and AUTH_BOOTSTRAP_ADMIN_* is not set to create one. */
  noAdmin: 'NO_ADMIN',
  /** No AUTH_SIGNING_KEY_FILE: tokens stop verifying on restart. */
  signingKeyEphemeral: 'SIGNING_KEY_EPHEMERAL',
  /** Work answered before it was done (202 Accepted) failed without a code of its own. */
  backgroundWorkFailed: 'BACKGROUND_WORK_FAILED',
} as const;
