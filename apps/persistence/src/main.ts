import 'reflect-metadata';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadPersistenceConfig } from './config.js';
import { configureHttp } from './openapi.js';

await bootstrapService({
  service: 'persistence',
  loadConfig: () => loadPersistenceConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
  configure: configureHttp,
});
