import 'reflect-metadata';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadIngestConfig } from './config.js';
import { configureHttp } from './openapi.js';

await bootstrapService({
  service: 'ingest',
  loadConfig: () => loadIngestConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
  configure: configureHttp,
});
