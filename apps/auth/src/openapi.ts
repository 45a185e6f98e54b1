/**
 * The OpenAPI 3 document, built by @nestjs/swagger from the controllers. Request and response bodies are described
 * by converting the same zod schemas that validate them, so the document cannot drift from the checks.
 * Served at /docs (UI) and /docs-json; written to docs/openapi/auth.json by `write-openapi.ts`.
 */
import { applyDecorators, type INestApplication } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';

type SchemaObject = Parameters<typeof ApiBody>[0] extends infer O ? (O extends { schema: infer S } ? S : never) : never;

export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

export const userViewSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  roles: z.array(z.string()),
  createdAt: z.string().meta({ format: 'date-time' }),
});
export const userPageSchema = z.object({ items: z.array(userViewSchema), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
export const roleViewSchema = z.object({ id: z.number().int(), name: z.string(), userCount: z.number().int(), protected: z.boolean() });
export const tokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int().meta({ description: 'seconds' }),
});
export const errorBodySchema = z.object({
  statusCode: z.number().int(),
  code: z.string().meta({ description: 'stable machine-readable code, e.g. VALIDATION_FAILED, USER_EXISTS' }),
  message: z.string(),
  fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
  retryAfterSeconds: z.number().int().optional(),
});
export const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input (fieldErrors names the fields)',
  401: 'missing, invalid, expired or revoked token',
  403: 'authenticated, but lacks the role',
  404: 'not found',
  409: 'conflict',
  413: 'request body too large',
  429: 'rate limited (Retry-After header)',
  503: 'database unavailable',
};

/** Summary, query parameters, body (JSON unless `consumes` says otherwise), success response and error statuses. */
export function ApiEndpoint(options: {
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  consumes?: string[];
  status: number;
  response?: z.ZodType;
  errors: number[];
}) {
  return applyDecorators(
    ApiOperation({ summary: options.summary }),
    ...Object.entries(options.query?.shape ?? {}).map(([name, schema]) =>
      ApiQuery({ name, required: !(schema as z.ZodType).safeParse(undefined).success, schema: openApiSchema(schema as z.ZodType) }),
    ),
    ...(options.body ? [ApiBody({ schema: openApiSchema(options.body) })] : []),
    ...(options.consumes ? [ApiConsumes(...options.consumes)] : []),
    ApiResponse({
      status: options.status,
      description: 'success',
      ...(options.response && { schema: openApiSchema(options.response, 'output') }),
    }),
    ...options.errors.map((status) =>
      ApiResponse({ status, description: ERROR_DESCRIPTIONS[status] ?? 'error', schema: openApiSchema(errorBodySchema, 'output') }),
    ),
  );
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Sightline auth service')
    .setDescription('Users, roles, OAuth2 password login with EdDSA JWTs (JWKS at /.well-known/jwks.json), password reset, admin API.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
