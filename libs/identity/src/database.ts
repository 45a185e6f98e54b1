/**
 * The identity database: connect, migrate (connectAndMigrate serialises concurrent migrations with an advisory
 * lock), expose readiness, close on shutdown.
 */
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';
import { connectAndMigrate, createDataSource, IDENTITY_ENTITIES, IDENTITY_MIGRATIONS, isDatabaseUp } from '@sightline/db';
import { HealthRegistry, type Logger } from '@sightline/observability';
import { DataSource } from 'typeorm';
import { type IdentityConfig } from './config.js';
import { IdentityErrorCode } from './errors.js';

export async function openIdentityDatabase(config: IdentityConfig, logger: Logger): Promise<DataSource> {
  const db = createDataSource({
    url: config.DATABASE_URL,
    entities: IDENTITY_ENTITIES,
    migrations: IDENTITY_MIGRATIONS,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: 'sightline-auth',
  });
  try {
    await db.initialize();
  } catch (err) {
    throw new SightlineError(
      IdentityErrorCode.dbUnavailable,
      `cannot connect to the database: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const applied = await connectAndMigrate(db);
  if (applied.length) logger.info('database migrated', { applied });
  return db;
}

@Injectable()
export class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(HealthRegistry) health: HealthRegistry,
  ) {
    health.register('db', () => isDatabaseUp(db));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
  }
}
