import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadPersistenceConfig } from './config.js';
import { configureHttp } from './openapi.js';

await bootstrapService({
  service: 'persistence',
  loadConfig: () => loadPersistenceConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
  configure: configureHttp,
});
