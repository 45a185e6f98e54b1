import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadAutoscalerConfig } from './config.js';

await bootstrapService({
  service: 'autoscaler',
  loadConfig: () => loadAutoscalerConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
});
