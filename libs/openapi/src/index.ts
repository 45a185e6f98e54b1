export { ApiEndpoint, buildOpenApiDocument, errorBodySchema, openApiSchema, serveOpenApi, writeOpenApiDocument, type ApiInfo } from './openapi.js';
