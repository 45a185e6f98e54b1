import 'reflect-metadata';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadTrackerConfig } from './config.js';

await bootstrapService({
  service: 'tracker',
  loadConfig: () => loadTrackerConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
});
