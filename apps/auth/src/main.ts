import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { loadAuthConfig } from './config.js';
import { configureHttp } from './http.js';

await bootstrapService({
  service: 'auth',
  loadConfig: () => loadAuthConfig(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
  configure: configureHttp,
});
