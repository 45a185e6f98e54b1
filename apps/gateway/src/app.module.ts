import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@sightline/messaging';
import { createLogger, ObservabilityModule } from '@sightline/observability';
import { SecurityModule } from '@sightline/security';
import { AnalysisEndpoint, GATEWAY_CONFIG } from './analysis-endpoint.js';
import { type GatewayConfig } from './config.js';

@Module({})
export class AppModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'gateway', logger: createLogger('gateway', config.LOG_LEVEL) }),
        MessagingModule.forRoot({ url: config.NATS_URL, name: 'gateway', user: config.NATS_USER, password: config.NATS_PASSWORD }),
        SecurityModule.forRoot({ jwksUrl: config.AUTH_JWKS_URL }),
      ],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, AnalysisEndpoint],
    };
  }
}
