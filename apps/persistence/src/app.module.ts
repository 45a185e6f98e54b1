import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { redactUrl } from '@sightline/contracts';
import { MessagingModule, NatsClient } from '@sightline/messaging';
import { HealthRegistry, LOGGER, METRICS, ObservabilityModule, type Logger } from '@sightline/observability';
import { ResultConsumer } from '@sightline/persistence-core';
import { SecurityModule } from '@sightline/security';
import { APP_CONFIG, httpErrorFilter, stopWithin } from '@sightline/service-kit';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { type PersistenceConfig } from './config.js';
import { resultsDataSource } from './database.js';
import { PERSISTENCE_STATUS_BY_CODE } from './http-errors.js';
import { ResultsController } from './results.controller.js';
import { ZonesController } from './zones.controller.js';

/** Starts consuming without blocking start-up (PostgreSQL may come later); stops it before NATS is drained. */
@Injectable()
class ConsumerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(ResultConsumer) private readonly consumer: ResultConsumer,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: PersistenceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.logger.info('starting result consumer', { database: redactUrl(this.config.DATABASE_URL) });
    this.consumer.start().catch((err: Error) => this.logger.error('result consumer failed to start', { error: err.message }));
  }

  async beforeApplicationShutdown(): Promise<void> {
    const timeoutMs = this.config.SHUTDOWN_TIMEOUT_MS;
    const stopped = await stopWithin(timeoutMs, () => this.consumer.stop());
    // Whatever is still unacked is redelivered after ack_wait; the idempotent insert makes that harmless.
    if (!stopped) this.logger.warn('result consumer did not stop in time', { timeoutMs });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

@Module({})
export class AppModule {
  static register(config: PersistenceConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'persistence', logger, level: config.LOG_LEVEL }),
        MessagingModule.forService('persistence', config),
        SecurityModule.forRoot({ jwksUrl: config.AUTH_JWKS_URL }),
      ],
      controllers: [ResultsController, ZonesController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        httpErrorFilter({ statusByCode: PERSISTENCE_STATUS_BY_CODE }),
        { provide: DataSource, useFactory: () => resultsDataSource(config) },
        {
          provide: ResultConsumer,
          inject: [NatsClient, DataSource, LOGGER, METRICS, HealthRegistry],
          useFactory: (client: NatsClient, dataSource: DataSource, logger: Logger, registry: Registry, health: HealthRegistry) => {
            const consumer = new ResultConsumer({
              client,
              dataSource,
              logger,
              registry,
              batchSize: config.PERSIST_BATCH_SIZE,
              lingerMs: config.PERSIST_LINGER_MS,
              maxInFlight: config.PERSIST_MAX_IN_FLIGHT,
              ackWaitMs: config.PERSIST_ACK_WAIT_MS,
              retry: { initialMs: config.PERSIST_RETRY_INITIAL_MS, maxMs: config.PERSIST_RETRY_MAX_MS },
            });
            health.register('db', () => consumer.isDatabaseUp());
            return consumer;
          },
        },
        ConsumerLifecycle,
      ],
    };
  }
}
