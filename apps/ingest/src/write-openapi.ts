/** Writes the OpenAPI document to docs/openapi/ingest.json (or the path given): `node apps/ingest/dist/write-openapi.js`. */
import 'reflect-metadata';
import { writeOpenApiCli } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadIngestConfig } from './config.js';
import { INGEST_API } from './openapi.js';

await writeOpenApiCli({ module: AppModule.register(loadIngestConfig({})), info: INGEST_API, defaultTarget: 'docs/openapi/ingest.json' });
