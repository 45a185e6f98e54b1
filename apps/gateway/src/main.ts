import 'reflect-metadata';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadGatewayConfig } from './config.js';

await bootstrapService({
  service: 'gateway',
  loadConfig: () => loadGatewayConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
});
