import { Module, type DynamicModule } from '@nestjs/common';
import { JetStreamPublisher, MessagingModule, NatsClient } from '@sightline/messaging';
import { HealthRegistry, LOGGER, METRICS, ObservabilityModule, type Logger } from '@sightline/observability';
import { SecurityModule } from '@sightline/security';
import { SessionManager } from '@sightline/video';
import type { Registry } from 'prom-client';
import { ingestSettings, type IngestConfig } from './config.js';
import { IngestLifecycle } from './ingest-lifecycle.js';
import { SessionsController } from './sessions.controller.js';
import { INGEST_CONFIG } from './tokens.js';

@Module({})
export class AppModule {
  static register(config: IngestConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'ingest' }),
        MessagingModule.forRoot({ url: config.NATS_URL, name: 'ingest', user: config.NATS_USER, password: config.NATS_PASSWORD }),
        SecurityModule.forRoot({ jwksUrl: config.AUTH_JWKS_URL }),
      ],
      controllers: [SessionsController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        {
          provide: SessionManager,
          inject: [NatsClient, JetStreamPublisher, METRICS, LOGGER, HealthRegistry],
          useFactory: async (client: NatsClient, publisher: JetStreamPublisher, registry: Registry, logger: Logger, health: HealthRegistry) => {
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
