/** Writes the OpenAPI document to docs/openapi/persistence.json (or the path given): `node apps/persistence/dist/write-openapi.js`. */
import 'reflect-metadata';
import { writeOpenApiCli } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadPersistenceConfig } from './config.js';
import { PERSISTENCE_API } from './openapi.js';

await writeOpenApiCli({
  module: AppModule.register(loadPersistenceConfig({})),
  info: PERSISTENCE_API,
  defaultTarget: 'docs/openapi/persistence.json',
});
