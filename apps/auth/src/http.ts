/**
 * HTTP set-up applied before listen (main and tests alike): body size limits for JSON and form bodies, client IP
 * behind trusted proxies, JSON errors for bodies that cannot be parsed, and the OpenAPI document.
 */
import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type NextFunction, type Request, type Response } from 'express';
import { type AuthConfig } from './config.js';
import { serveOpenApi } from '@sightline/openapi';
import { AUTH_API } from './openapi.js';

export function configureHttp(nestApp: INestApplication, config: AuthConfig): void {
  const app = nestApp as NestExpressApplication;
  app.disable('x-powered-by');
  app.set('trust proxy', config.HTTP_TRUST_PROXY_HOPS);
  // Registered before Nest's defaults, which are then skipped: these limits are the only parsers.
  app.useBodyParser('json', { limit: config.HTTP_BODY_LIMIT });
  app.useBodyParser('urlencoded', { limit: config.HTTP_BODY_LIMIT, extended: false, parameterLimit: 20 });
  app.use(bodyParserErrors);
  serveOpenApi(app, AUTH_API);
}

/** Codes of a request body body-parser refused. */
const BodyErrorCode = { tooLarge: 'BODY_TOO_LARGE', malformed: 'MALFORMED_BODY', badRequest: 'BAD_REQUEST' } as const;

/** body-parser failures (too large, malformed, unsupported charset) as our JSON error shape instead of HTML. */
function bodyParserErrors(
  err: { status?: number; type?: string; message?: string } | undefined,
  _req: Request,
  res: Response,
  next: NextFunction,
) {
  const status = err?.status;
  if (!err || !status || status >= 500) return next(err);
  const code =
    status === 413 ? BodyErrorCode.tooLarge : err.type === 'entity.parse.failed' ? BodyErrorCode.malformed : BodyErrorCode.badRequest;
  res
    .status(status)
    .json({ statusCode: status, code, message: status === 413 ? 'request body too large' : 'request body could not be parsed' });
}
