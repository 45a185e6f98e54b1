import 'reflect-metadata';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadAutoscalerConfig } from './config.js';

await bootstrapService({
  service: 'autoscaler',
  loadConfig: () => loadAutoscalerConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
});
