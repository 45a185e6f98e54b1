/**
 * Writes the OpenAPI document to docs/openapi/ingest.json (or the path given): `node apps/ingest/dist/write-openapi.js`.
 * Nest runs in preview mode, so nothing connects anywhere.
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { writeOpenApiDocument } from '@sightline/openapi';
import { AppModule } from './app.module.js';
import { loadIngestConfig } from './config.js';
import { INGEST_API } from './openapi.js';

const target = resolve(process.argv[2] ?? 'docs/openapi/ingest.json');
const app = await NestFactory.create(AppModule.register(loadIngestConfig({})), { preview: true, logger: false });
await writeOpenApiDocument(app, INGEST_API, target);
await app.close();
console.log(`wrote ${target}`);
