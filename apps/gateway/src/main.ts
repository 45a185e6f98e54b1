import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadGatewayConfig } from './config.js';

await bootstrapService({
  service: 'gateway',
  loadConfig: () => loadGatewayConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
});
