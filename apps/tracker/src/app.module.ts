import { Module, type DynamicModule } from '@nestjs/common';
import { createDataSource } from '@sightline/db';
import { MessagingModule } from '@sightline/messaging';
import { ObservabilityModule } from '@sightline/observability';
import { DataSource } from 'typeorm';
import { TRACKER_CONFIG, type TrackerConfig } from './config.js';
import { TrackerLifecycle } from './tracker.lifecycle.js';

@Module({})
export class AppModule {
  static register(config: TrackerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'tracker' }),
        MessagingModule.forRoot({ url: config.NATS_URL, name: 'tracker', user: config.NATS_USER, password: config.NATS_PASSWORD }),
      ],
      providers: [
        { provide: TRACKER_CONFIG, useValue: config },
        {
          // Zones only: no entities, no migrations (persistence owns the schema). Connected lazily by the lifecycle.
          provide: DataSource,
          useFactory: () =>
            createDataSource({
              url: config.DATABASE_URL,
              entities: [],
              migrations: [],
              poolSize: config.DB_POOL_SIZE,
              statementTimeoutMs: 5000,
              applicationName: 'sightline-tracker',
            }),
        },
        TrackerLifecycle,
      ],
    };
  }
}
