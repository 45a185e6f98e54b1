import 'reflect-metadata';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadAuthConfig } from './config.js';
import { configureHttp } from './http.js';

await bootstrapService({
  service: 'auth',
  loadConfig: () => loadAuthConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
  configure: configureHttp,
});
