import { Module, type DynamicModule } from '@nestjs/common';
import { JetStreamPublisher, MessagingModule, NatsClient } from '@sightline/messaging';
import { HealthRegistry, LOGGER, METRICS, ObservabilityModule, type Logger } from '@sightline/observability';
import { SecurityModule } from '@sightline/security';
import { APP_CONFIG, httpErrorFilter } from '@sightline/service-kit';
import { SessionManager } from '@sightline/video';
import type { Registry } from 'prom-client';
import { ingestSettings, type IngestConfig } from './config.js';
import { INGEST_STATUS_BY_CODE } from './http-errors.js';
import { IngestLifecycle } from './ingest-lifecycle.js';
import { SessionsController } from './sessions.controller.js';

@Module({})
export class AppModule {
  static register(config: IngestConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'ingest', logger, level: config.LOG_LEVEL }),
        MessagingModule.forService('ingest', config),
        SecurityModule.forRoot({ jwksUrl: config.AUTH_JWKS_URL }),
      ],
      controllers: [SessionsController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        httpErrorFilter({ statusByCode: INGEST_STATUS_BY_CODE }),
        {
          provide: SessionManager,
          inject: [NatsClient, JetStreamPublisher, METRICS, LOGGER, HealthRegistry],
          useFactory: async (
            client: NatsClient,
            publisher: JetStreamPublisher,
            registry: Registry,
            logger: Logger,
            health: HealthRegistry,
          ) => {
            const manager = new SessionManager({ client, publisher, registry, logger }, await ingestSettings(config, logger));
            // Shown, not failed: a session without results is inference's or the camera's problem, not ingest's readiness.
            health.registerDetail('sessionWarnings', () => manager.warnings());
            return manager;
          },
        },
        IngestLifecycle,
      ],
    };
  }
}
