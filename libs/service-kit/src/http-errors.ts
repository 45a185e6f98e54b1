/**
 * One HTTP error edge for every service: a global filter answering every failure with the one error body
 * `{statusCode, code, message, fieldErrors?, retryAfterSeconds?}` (`errorBodySchema` in @sightline/contracts).
 * SightlineError codes map to statuses through the service's typed table, so libs stay free of HTTP and a code
 * missing from the table is a compile error where the table is declared. Unexpected errors are logged with their
 * stack and answered with a bare 500 (internals such as FFmpeg's stderr stay in the log); a lost database
 * connection is a 503 the client may retry.
 */
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { SharedErrorCode, SightlineError, type ErrorBody } from '@sightline/contracts';
import { LOGGER, type Logger } from '@sightline/observability';

/** HTTP status of each code a service's endpoints may raise: `Record<MyCode, number>`, so none is forgotten. */
export type StatusByCode<C extends string = string> = Readonly<Record<C, number>>;

export interface HttpErrorOptions<C extends string> {
  statusByCode: StatusByCode<C>;
  /** Adds protocol-specific fields to a client error body (e.g. OAuth2's `error` on the token endpoint). */
  decorate?: (body: ErrorBody) => ErrorBody;
}

/** Context keys that are meant for the client; everything else stays in logs. */
const PUBLIC_CONTEXT = ['fieldErrors', 'retryAfterSeconds'] as const;

/** Connection-level failures (pg / node / PostgreSQL admin shutdown and connection classes 08, 57P). */
const DB_DOWN = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|^08|^57P0/;

/** Codes the kit itself raises (ZodPipe), mapped for every service. */
export const SERVICE_KIT_STATUS_BY_CODE = { [SharedErrorCode.validationFailed]: 400 } as const satisfies StatusByCode;

const INTERNAL: ErrorBody = { statusCode: 500, code: SharedErrorCode.internal, message: 'internal error' };

export function describeError<C extends string>(err: unknown, options: HttpErrorOptions<C>): ErrorBody {
  if (err instanceof SightlineError) {
    const statusByCode: Record<string, number | undefined> = { ...SERVICE_KIT_STATUS_BY_CODE, ...options.statusByCode };
    const status = statusByCode[err.code] ?? 500;
    if (status === 500) return INTERNAL;
    const extra = Object.fromEntries(PUBLIC_CONTEXT.filter((k) => err.context[k] !== undefined).map((k) => [k, err.context[k]]));
    const body: ErrorBody = { statusCode: status, code: err.code, message: err.message, ...extra };
    return options.decorate?.(body) ?? body;
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const fields = typeof response === 'object' ? (response as Record<string, unknown>) : { message: response };
    const code = typeof fields.code === 'string' ? fields.code : `HTTP_${status}`;
    const message = Array.isArray(fields.message) ? fields.message.join('; ') : String(fields.message ?? err.message);
    const { error: _nestErrorName, ...rest } = fields;
    return { ...rest, statusCode: status, code, message };
  }
  const code = String((err as { code?: unknown }).code ?? (err as { driverError?: { code?: unknown } }).driverError?.code ?? '');
  if (DB_DOWN.test(code) || /Connection terminated|timeout exceeded when trying to connect/i.test((err as Error).message ?? '')) {
    return { statusCode: 503, code: SharedErrorCode.dbUnavailable, message: 'database unavailable, retry shortly', retryAfterSeconds: 5 };
  }
  return INTERNAL;
}

/** The slice of Express's response the filter uses. */
interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): HttpResponse;
  json(body: unknown): void;
}

@Catch()
export class HttpErrorFilter<C extends string> implements ExceptionFilter {
  constructor(
    private readonly options: HttpErrorOptions<C>,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const body = describeError(err, this.options);
    if (body.statusCode >= 500) {
      const e = err as Error & { code?: string; context?: unknown };
      this.logger.error('request failed', { code: body.code, cause: e.code, error: e.message, context: e.context, stack: e.stack });
    }
    if (typeof body.retryAfterSeconds === 'number') response.setHeader('Retry-After', String(body.retryAfterSeconds));
    if (body.code.startsWith('TOKEN_')) response.setHeader('WWW-Authenticate', 'Bearer');
    response.status(body.statusCode).json(body);
  }
}

/** The global filter as a module provider: `providers: [httpErrorFilter({ statusByCode: INGEST_STATUS })]`. */
export function httpErrorFilter<C extends string>(options: HttpErrorOptions<C>): Provider {
  return { provide: APP_FILTER, inject: [LOGGER], useFactory: (logger: Logger) => new HttpErrorFilter(options, logger) };
}
