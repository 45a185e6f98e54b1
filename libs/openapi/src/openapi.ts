/**
 * OpenAPI 3 documents of the services' REST APIs, built by @nestjs/swagger from the controllers. Request and response
 * bodies are described by converting the same zod schemas that validate them (or that define the response types in
 * @sightline/contracts), so a document cannot drift from the checks. Each service serves its document at /docs (UI)
 * and /docs-json, and keeps a copy in docs/openapi/<service>.json that a test compares with what it serves.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { applyDecorators, type INestApplication } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { errorBodySchema } from '@sightline/contracts';
import { z } from 'zod';

type SchemaObject = Parameters<typeof ApiBody>[0] extends infer O ? (O extends { schema: infer S } ? S : never) : never;

export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input',
  401: 'missing, invalid, expired or revoked token',
  403: 'authenticated, but lacks the role',
  404: 'not found',
  409: 'conflict',
  413: 'request body too large',
  429: 'rate limited or over a limit',
  503: 'a dependency (database, NATS) is unavailable',
};

/** Summary, query parameters, body (JSON unless `consumes` says otherwise), success response and error statuses. */
export function ApiEndpoint(options: {
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  consumes?: string[];
  status: number;
  response?: z.ZodType;
  /** A non-JSON success body (e.g. image/jpeg). */
  produces?: string;
  errors: number[];
  /** Per-status descriptions that say more than the generic ones. */
  errorDescriptions?: Record<number, string>;
  /** The service's error body, when it has more than `errorBodySchema` (@sightline/contracts). */
  errorSchema?: z.ZodType;
}) {
  return applyDecorators(
    ApiOperation({ summary: options.summary }),
    ...Object.entries(options.query?.shape ?? {}).map(([name, schema]) =>
      ApiQuery({ name, required: !(schema as z.ZodType).safeParse(undefined).success, schema: openApiSchema(schema as z.ZodType) }),
    ),
    ...(options.body ? [ApiBody({ schema: openApiSchema(options.body) })] : []),
    ...(options.consumes ? [ApiConsumes(...options.consumes)] : []),
    ...(options.produces ? [ApiProduces(options.produces)] : []),
    ApiResponse({
      status: options.status,
      description: 'success',
      ...(options.response && { schema: openApiSchema(options.response, 'output') }),
    }),
    ...options.errors.map((status) =>
      ApiResponse({
        status,
        description: options.errorDescriptions?.[status] ?? ERROR_DESCRIPTIONS[status] ?? 'error',
        schema: openApiSchema(options.errorSchema ?? errorBodySchema, 'output'),
      }),
    ),
  );
}

export interface ApiInfo {
  title: string;
  description: string;
}

export function buildOpenApiDocument(app: INestApplication, info: ApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the document at /docs (Swagger UI) and /docs-json. */
export function serveOpenApi(app: INestApplication, info: ApiInfo): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app, info), { jsonDocumentUrl: 'docs-json' });
}

/** Writes the document as the committed copy (docs/openapi/<service>.json) is formatted. */
export async function writeOpenApiDocument(app: INestApplication, info: ApiInfo, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${JSON.stringify(buildOpenApiDocument(app, info), null, 2)}\n`);
}
