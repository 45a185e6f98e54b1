/**
 * One JSON error shape for every failure: `{statusCode, code, message, fieldErrors?, retryAfterSeconds?}`.
 * SightlineError codes map to statuses here, so services stay free of HTTP. Unexpected errors are logged with their
 * stack and answered with a bare 500; a lost database connection is a 503 the client may retry.
 */
import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';
import { LOGGER, type Logger } from '@sightline/observability';
import { type Response } from 'express';

const STATUS_BY_CODE: Record<string, number> = {
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
};

/** Context keys that are meant for the client; everything else stays in logs. */
const PUBLIC_CONTEXT = ['fieldErrors', 'retryAfterSeconds'] as const;

/** Connection-level failures (pg / node / PostgreSQL admin shutdown and connection classes 08, 57P). */
const DB_DOWN = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|^08|^57P0/;

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  [key: string]: unknown;
}

export function describeError(err: unknown): ErrorBody {
  if (err instanceof SightlineError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    const extra = Object.fromEntries(PUBLIC_CONTEXT.filter((k) => err.context[k] !== undefined).map((k) => [k, err.context[k]]));
    // OAuth2 clients look for `error` on the token endpoint (RFC 6749 §5.2).
    const oauth = err.code === 'INVALID_CREDENTIALS' ? { error: 'invalid_grant' } : {};
    return status === 500
      ? { statusCode: 500, code: 'INTERNAL', message: 'internal error' }
      : { statusCode: status, code: err.code, message: err.message, ...extra, ...oauth };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const fields = typeof response === 'object' ? (response as Record<string, unknown>) : { message: response };
    const code = typeof fields.code === 'string' ? fields.code : `HTTP_${status}`;
    return { ...fields, statusCode: status, code, message: String(fields.message ?? err.message) };
  }
  const code = String((err as { code?: unknown }).code ?? (err as { driverError?: { code?: unknown } }).driverError?.code ?? '');
  if (DB_DOWN.test(code) || /Connection terminated|timeout exceeded when trying to connect/i.test((err as Error).message ?? '')) {
    return { statusCode: 503, code: 'DB_UNAVAILABLE', message: 'database unavailable, retry shortly', retryAfterSeconds: 5 };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'internal error' };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = describeError(err);
    if (body.statusCode >= 500) {
      const e = err as Error & { code?: string; context?: unknown };
      this.logger.error('request failed', { code: body.code, cause: e.code, error: e.message, context: e.context, stack: e.stack });
    }
    if (typeof body.retryAfterSeconds === 'number') response.setHeader('Retry-After', String(body.retryAfterSeconds));
    if (body.code.startsWith('TOKEN_')) response.setHeader('WWW-Authenticate', 'Bearer');
    response.status(body.statusCode).json(body);
  }
}
