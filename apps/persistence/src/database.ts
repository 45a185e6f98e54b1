import { createDataSource, RESULT_ENTITIES, RESULT_MIGRATIONS } from '@sightline/db';
import { type DataSource } from 'typeorm';
import { type loadDatabaseConfig } from './config.js';

/** The persistence service's tables only: analysis_results and its derived session summaries. */
export function resultsDataSource(config: ReturnType<typeof loadDatabaseConfig>): DataSource {
  return createDataSource({
    url: config.DATABASE_URL,
    entities: RESULT_ENTITIES,
    migrations: RESULT_MIGRATIONS,
    poolSize: config.DB_POOL_SIZE,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    applicationName: 'sightline-persistence',
  });
}
