import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadTrackerConfig } from './config.js';

await bootstrapService({
  service: 'tracker',
  loadConfig: () => loadTrackerConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
});
