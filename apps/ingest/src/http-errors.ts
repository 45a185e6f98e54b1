/** Maps the SightlineErrors the session API raises to HTTP statuses with a `{code, message}` body. */
import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';

const STATUS_BY_CODE: Record<string, HttpStatus> = {
  INVALID_MESSAGE: HttpStatus.BAD_REQUEST,
  INVALID_SOURCE: HttpStatus.BAD_REQUEST,
  INVALID_SESSION_ID: HttpStatus.BAD_REQUEST,
  SESSION_NOT_FOUND: HttpStatus.NOT_FOUND,
  SNAPSHOT_UNAVAILABLE: HttpStatus.NOT_FOUND,
  SESSION_EXISTS: HttpStatus.CONFLICT,
  SESSION_LIMIT_REACHED: HttpStatus.TOO_MANY_REQUESTS,
};

interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
}

@Catch(SightlineError)
export class SightlineErrorFilter implements ExceptionFilter {
  catch(error: SightlineError, host: ArgumentsHost): void {
    const status = STATUS_BY_CODE[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    host.switchToHttp().getResponse<HttpResponse>().status(status).json({ code: error.code, message: error.message });
  }
}
