/** What identity reads of the auth service's configuration (apps/auth/src/config.ts parses and documents it). */
export interface IdentityConfig {
  readonly DATABASE_URL: string;
  readonly DATABASE_POOL_SIZE: number;
  readonly SHUTDOWN_TIMEOUT_MS: number;
  readonly AUTH_SIGNING_KEY_FILE?: string;
  readonly AUTH_ISSUER: string;
  readonly AUTH_AUDIENCE: string;
  readonly AUTH_ACCESS_TOKEN_TTL_SECONDS: number;
  readonly AUTH_SIGNUP_ENABLED: boolean;
  readonly AUTH_SIGNUP_DEFAULT_ROLE: string;
  readonly AUTH_BOOTSTRAP_ADMIN_USERNAME?: string;
  readonly AUTH_BOOTSTRAP_ADMIN_EMAIL?: string;
  readonly AUTH_BOOTSTRAP_ADMIN_PASSWORD?: string;
  readonly AUTH_EMAIL_VERIFICATION_TTL_SECONDS: number;
  readonly PASSWORD_RESET_TTL_SECONDS: number;
  readonly PASSWORD_RESET_LINK_URL: string;
  readonly SMTP_URL?: string;
  readonly MAIL_FROM: string;
  readonly MAIL_OUTBOX_DIR: string;
  readonly RATE_LIMIT_LOGIN_PER_IP: number;
  readonly RATE_LIMIT_LOGIN_PER_ACCOUNT: number;
  readonly RATE_LIMIT_RESET_PER_IP: number;
  readonly RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR: number;
  readonly RATE_LIMIT_SIGNUP_PER_IP: number;
}
