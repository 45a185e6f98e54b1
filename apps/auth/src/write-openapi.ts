/**
 * Writes the OpenAPI document to docs/openapi/auth.json (or the path given): `node apps/auth/dist/write-openapi.js`.
 * Nest runs in preview mode, so nothing connects anywhere.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { resolve } from 'node:path';
import { createLogger } from '@sightline/observability';
import { writeOpenApiDocument } from '@sightline/openapi';
import { AppModule } from './app.module.js';
import { loadAuthConfig } from './config.js';
import { AUTH_API } from './openapi.js';

const target = resolve(process.argv[2] ?? 'docs/openapi/auth.json');
const logger = createLogger('auth-openapi', 'error');
const app = await NestFactory.create(AppModule.register(loadAuthConfig({}), logger), { preview: true, logger: false });
await writeOpenApiDocument(app, AUTH_API, target);
await app.close();
console.log(`wrote ${target}`);
