import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@sightline/messaging';
import { ObservabilityModule, type Logger } from '@sightline/observability';
import { SecurityModule } from '@sightline/security';
import { APP_CONFIG, httpErrorFilter } from '@sightline/service-kit';
import { AnalysisEndpoint } from './analysis-endpoint.js';
import { type GatewayConfig } from './config.js';

@Module({})
export class AppModule {
  static register(config: GatewayConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'gateway', logger, level: config.LOG_LEVEL }),
        MessagingModule.forService('gateway', config),
        SecurityModule.forRoot({ jwksUrl: config.AUTH_JWKS_URL }),
      ],
      // Only the health and metrics routes are HTTP; unknown routes still answer the common error body.
      providers: [{ provide: APP_CONFIG, useValue: config }, httpErrorFilter({ statusByCode: {} }), AnalysisEndpoint],
    };
  }
}
