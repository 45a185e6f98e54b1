/** Maps the SightlineErrors the session API raises to HTTP statuses with a `{code, message}` body. */
import { Catch, HttpStatus, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';
import { LOGGER, type Logger } from '@sightline/observability';

const STATUS_BY_CODE: Record<string, HttpStatus> = {
  INVALID_MESSAGE: HttpStatus.BAD_REQUEST,
  INVALID_SOURCE: HttpStatus.BAD_REQUEST,
  INVALID_SESSION_ID: HttpStatus.BAD_REQUEST,
  SESSION_NOT_FOUND: HttpStatus.NOT_FOUND,
  SNAPSHOT_UNAVAILABLE: HttpStatus.NOT_FOUND,
  SOURCE_PICTURE_UNAVAILABLE: HttpStatus.NOT_FOUND,
  SESSION_EXISTS: HttpStatus.CONFLICT,
  SESSION_LIMIT_REACHED: HttpStatus.TOO_MANY_REQUESTS,
};

interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
}

@Catch(SightlineError)
export class SightlineErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Pick<Logger, 'error'>) {}

  catch(error: SightlineError, host: ArgumentsHost): void {
    const status = STATUS_BY_CODE[error.code];
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (status) return response.status(status).json({ code: error.code, message: error.message });
    // Unexpected failures (e.g. FFmpeg's stderr in SNAPSHOT_FAILED) are details for the log, not for API clients.
    this.logger.error('request failed', { code: error.code, error: error.message, context: error.context });
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ code: error.code, message: 'internal error' });
  }
}
