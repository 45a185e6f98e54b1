import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadInferenceConfig } from './config.js';

await bootstrapService({
  service: 'inference',
  loadConfig: () => loadInferenceConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
});
