export { ApiEndpoint, buildOpenApiDocument, openApiSchema, serveOpenApi, writeOpenApiDocument, type ApiInfo } from './openapi.js';
export { errorBodySchema } from '@sightline/contracts';
