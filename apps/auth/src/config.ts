import { ConfigError, baseConfigShape, env, loadConfig } from '@sightline/config';
import { JWT_DEFAULTS, ROLES } from '@sightline/contracts';
import { z } from 'zod';
import { passwordProblems } from '@sightline/identity';

/** Environment variables of the auth service (documented in docs/auth.md). */
export const authConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: env.port(3001),
  DATABASE_URL: env.url('postgres://sightline@127.0.0.1:5432/sightline', ['postgres', 'postgresql']),
  DATABASE_POOL_SIZE: env.int(10, 1, 100),
  /** PKCS8 PEM Ed25519 key; created (mode 0600) when missing. Unset: an in-memory key, lost on restart. */
  AUTH_SIGNING_KEY_FILE: env.optionalString(),
  AUTH_ISSUER: env.string(JWT_DEFAULTS.issuer),
  AUTH_AUDIENCE: env.string(JWT_DEFAULTS.audience),
  /** Short on purpose: other services verify statelessly, so a revoked token lives at most this long there. */
  AUTH_ACCESS_TOKEN_TTL_SECONDS: env.int(900, 30, 86_400),
  BCRYPT_COST: env.int(12, 12, 16),
  /** bcrypt runs on this many worker threads, off the event loop; at most BCRYPT_MAX_QUEUED wait (then 503 AUTH_BUSY). */
  BCRYPT_WORKERS: env.int(2, 1, 32),
  BCRYPT_MAX_QUEUED: env.int(32, 0, 10_000),
  AUTH_SIGNUP_ENABLED: env.bool(true),
  /** Never a privileged role: a signup must not make anyone an administrator or operator. */
  AUTH_SIGNUP_DEFAULT_ROLE: env.string('agent').refine((role) => role !== ROLES.admin && role !== ROLES.operator, {
    message: 'must not be a privileged role (admin, operator)',
  }),
  /** First admin, created on start only while no admin exists. All three or none; there is no default password. */
  AUTH_BOOTSTRAP_ADMIN_USERNAME: env.optionalString(),
  AUTH_BOOTSTRAP_ADMIN_EMAIL: env.optionalString(),
  AUTH_BOOTSTRAP_ADMIN_PASSWORD: env.optionalString(),
  PASSWORD_RESET_TTL_SECONDS: env.int(3600, 60, 86_400),
  /** How long a signup's mailed verification link works; the account may not log in before it is used. */
  AUTH_EMAIL_VERIFICATION_TTL_SECONDS: env.int(86_400, 300, 604_800),
  /** The console's address; mailed links are `<this>#/reset/<token>` and `<this>#/verify/<token>` (its pages). */
  PASSWORD_RESET_LINK_URL: env.url('http://localhost:3008/console/', ['http', 'https']),
  /** smtp:// or smtps:// URL (credentials inside). Unset: mails are written as JSON files to MAIL_OUTBOX_DIR. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: env.string('Sightline <no-reply@sightline.local>'),
  MAIL_OUTBOX_DIR: env.string('var/auth/outbox'),
  /** Request body limit (JSON and form bodies), in body-parser syntax. */
  HTTP_BODY_LIMIT: env.string('16kb'),
  /** Reverse proxies in front of the service whose X-Forwarded-For is trusted for the client IP (rate limits). */
  HTTP_TRUST_PROXY_HOPS: env.int(0, 0, 10),
  /** Token buckets: attempts per minute (burst = the same number). */
  RATE_LIMIT_LOGIN_PER_IP: env.int(30, 1),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: env.int(5, 1),
  RATE_LIMIT_RESET_PER_IP: env.int(5, 1),
  /** Mails (reset links, signup notices) to one address per hour; past it requests still answer 202, no mail goes. */
  RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR: env.int(5, 1, 1000),
  RATE_LIMIT_SIGNUP_PER_IP: env.int(10, 1),
};

export type AuthConfig = ReturnType<typeof loadAuthConfig>;

export function loadAuthConfig(source: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(authConfigShape, source);
  const admin = [config.AUTH_BOOTSTRAP_ADMIN_USERNAME, config.AUTH_BOOTSTRAP_ADMIN_EMAIL, config.AUTH_BOOTSTRAP_ADMIN_PASSWORD];
  const problems: string[] = [];
  if (admin.some(Boolean) && !admin.every(Boolean)) {
    problems.push('AUTH_BOOTSTRAP_ADMIN_USERNAME, _EMAIL and _PASSWORD must be set together');
  }
  if (config.AUTH_BOOTSTRAP_ADMIN_PASSWORD && config.AUTH_BOOTSTRAP_ADMIN_USERNAME) {
    const weak = passwordProblems(config.AUTH_BOOTSTRAP_ADMIN_PASSWORD, config.AUTH_BOOTSTRAP_ADMIN_USERNAME);
    if (weak.length) problems.push(`AUTH_BOOTSTRAP_ADMIN_PASSWORD: ${weak.join('; ')} (value hidden)`);
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
