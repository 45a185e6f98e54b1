export { ApiEndpoint, serveOpenApi, writeOpenApiDocument, type ApiInfo } from './openapi.js';
