import 'reflect-metadata';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadInferenceConfig } from './config.js';

await bootstrapService({
  service: 'inference',
  loadConfig: () => loadInferenceConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
});
