import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule, type Logger } from '@sightline/observability';
import { type ConsoleConfig } from './config.js';

/** Only health and metrics are Nest routes; the SPA and the proxied API are Express middleware (console-server.ts). */
@Module({})
export class AppModule {
  static register(config: ConsoleConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'console', logger, level: config.LOG_LEVEL })],
    };
  }
}
