import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadINFERENCEConfig } from './config.js';

await bootstrapService({
  service: 'inference',
  loadConfig: () => loadINFERENCEConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
});
