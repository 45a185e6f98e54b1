/**
 * Environment-variable configuration. Each service declares a zod object whose keys are the variable names;
 * `loadConfig` validates `process.env` against it at start-up and fails with one message naming every bad variable.
 */
import { SharedErrorCode, SightlineError } from '@sightline/contracts';
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';

export class ConfigError extends SightlineError<typeof SharedErrorCode.configInvalid> {
  constructor(readonly problems: string[]) {
    super(SharedErrorCode.configInvalid, `invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
    this.name = 'ConfigError';
  }
}

/** Helpers for the common variable shapes; each documents its default by construction. */
export const env = {
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  optionalString: () => z.string().min(1).optional(),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(fallback),
  number: (fallback: number, min = 0) => z.coerce.number().min(min).default(fallback),
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) => z.enum(values).default(fallback as never),
  url: (fallback: string, protocols: string[]) =>
    z
      .string()
      .default(fallback)
      .refine(
        (v) => {
          try {
            return protocols.includes(new URL(v).protocol.replace(':', ''));
          } catch {
            return false;
          }
        },
        `must be a ${protocols.join('/')} URL`,
      ),
  /** An optional path that must name a readable file when set (e.g. a CA certificate). */
  readableFile: () =>
    z
      .string()
      .min(1)
      .optional()
      .refine((v) => v === undefined || isReadableFile(v), 'not a readable file'),
  /** Comma-separated list. */
  list: (fallback: string[]) =>
    z
      .string()
      .default(fallback.join(','))
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
};

/** Variables every service understands. */
export const baseConfigShape = {
  NATS_URL: env.string('nats://127.0.0.1:4222'),
  /** This service's NATS identity (libs/messaging identities); unset: no authentication (tests). */
  NATS_USER: env.optionalString(),
  NATS_PASSWORD: env.optionalString(),
  /**
   * The CA that signed nats-server's certificate: set, the service speaks TLS only to NATS and trusts this CA alone
   * (the local fleet and compose set it). Checked at start: a missing or unreadable file stops the service.
   */
  NATS_TLS_CA_FILE: env.readableFile(),
  LOG_LEVEL: env.oneOf(['error', 'warn', 'info', 'debug'] as const, 'info'),
  /** Listen address of the HTTP server (the local fleet: 127.0.0.1); unset: every interface, as in the images. */
  HTTP_HOST: env.optionalString(),
  /** Graceful-shutdown budget: in-flight work is finished and the NATS connection drained within it. */
  SHUTDOWN_TIMEOUT_MS: env.int(10_000, 0),
};

export function loadConfig<S extends z.ZodRawShape>(shape: S, source: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  const schema = z.object(shape);
  // Empty strings count as unset so `FOO=` in an env file falls back to the default.
  const input = Object.fromEntries(Object.keys(shape).map((k) => [k, source[k] === '' ? undefined : source[k]]));
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}${describeValue(source, i.path[0])}`));
  }
  return result.data;
}

function describeValue(source: NodeJS.ProcessEnv, key: PropertyKey | undefined): string {
  if (typeof key !== 'string' || source[key] === undefined) return ' (not set)';
  // Never echo values of secret-looking variables, nor URLs, which may carry credentials (user:password@).
  return /PASS|SECRET|TOKEN|KEY|URL|DSN/i.test(key) ? ' (value hidden)' : ` (got "${source[key]}")`;
}

function isReadableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
