import { Module, type DynamicModule } from '@nestjs/common';
import { createDataSource } from '@sightline/db';
import { MessagingModule } from '@sightline/messaging';
import { ObservabilityModule, type Logger } from '@sightline/observability';
import { APP_CONFIG, httpErrorFilter } from '@sightline/service-kit';
import { DataSource } from 'typeorm';
import { type TrackerConfig } from './config.js';
import { TrackerLifecycle } from './tracker.lifecycle.js';

@Module({})
export class AppModule {
  static register(config: TrackerConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'tracker', logger, level: config.LOG_LEVEL }),
        MessagingModule.forService('tracker', config),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        httpErrorFilter({ statusByCode: {} }),
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
