import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger, ObservabilityModule } from '@sightline/observability';
import { type ConsoleConfig } from './config.js';

/** Only health and metrics are Nest routes; the SPA and the proxied API are Express middleware (console-server.ts). */
@Module({})
export class AppModule {
  static register(config: ConsoleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'console', logger: createLogger('console', config.LOG_LEVEL) })],
    };
  }
}
