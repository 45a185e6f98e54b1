import 'reflect-metadata';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { bootstrapService } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadConsoleConfig } from './config.js';
import { installConsole } from './console-server.js';

await bootstrapService({
  service: 'console',
  loadConfig: () => loadConsoleConfig(),
  module: (config, logger) => AppModule.register(config, logger),
  port: (config) => config.HTTP_PORT,
  configure: (app, config) => installConsole(app as NestExpressApplication, config),
});
