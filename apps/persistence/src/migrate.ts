/** `npm run migrate -w @sightline/persistence-service`: applies pending migrations once and exits (1 on failure). */
import 'reflect-metadata';
import { redactUrl } from '@sightline/contracts';
import { connectAndMigrate } from '@sightline/db';
import { createLogger } from '@sightline/observability';
import { loadDatabaseConfig } from './config.js';
import { resultsDataSource } from './database.js';

/** Logged code of a failed migration whose error has no code of its own. */
const MIGRATION_FAILED = 'MIGRATION_FAILED';
const logger = createLogger('persistence-migrate');
try {
  const config = loadDatabaseConfig();
  const dataSource = resultsDataSource(config);
  const applied = await connectAndMigrate(dataSource);
  logger.info('migrations applied', { database: redactUrl(config.DATABASE_URL), applied });
  await dataSource.destroy();
} catch (err) {
  const e = err as Error & { code?: string };
  logger.error('migration failed', { code: e.code ?? MIGRATION_FAILED, error: e.message });
  process.exitCode = 1;
}
