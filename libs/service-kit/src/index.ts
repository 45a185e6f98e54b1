export { bootstrapService } from './bootstrap.js';
export { APP_CONFIG } from './config-token.js';
export { describeError, httpErrorFilter, type HttpErrorOptions, type StatusByCode } from './http-errors.js';
export { writeOpenApiCli } from './openapi-cli.js';
export { stopWithin } from './stop-within.js';
export { parseRequest, ZodPipe } from './validation.js';
export { TokenBucket } from './token-bucket.js';
