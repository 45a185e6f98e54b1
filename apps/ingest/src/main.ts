import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadIngestConfig } from './config.js';
import { configureHttp } from './openapi.js';

await bootstrapService({
  service: 'ingest',
  loadConfig: () => loadIngestConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
  configure: configureHttp,
});
