/**
 * Writes the OpenAPI document to docs/openapi/persistence.json (or the path given): `node apps/persistence/dist/write-openapi.js`.
 * Nest runs in preview mode, so nothing connects anywhere.
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { writeOpenApiDocument } from '@sightline/openapi';
import { AppModule } from './app.module.js';
import { loadPersistenceConfig } from './config.js';
import { PERSISTENCE_API } from './openapi.js';

const target = resolve(process.argv[2] ?? 'docs/openapi/persistence.json');
const app = await NestFactory.create(AppModule.register(loadPersistenceConfig({})), { preview: true, logger: false });
await writeOpenApiDocument(app, PERSISTENCE_API, target);
await app.close();
console.log(`wrote ${target}`);
