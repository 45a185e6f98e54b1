import { baseConfigShape, env, loadConfig } from '@sightline/config';
import { JWKS_PATH } from '@sightline/contracts';
import { MAX_ROWS_PER_BATCH } from '@sightline/db';

/** PostgreSQL connection: enough for the migration command, which needs nothing else. */
export const databaseConfigShape = {
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  /** May carry a password; it is never logged (only the redacted URL is). */
  DATABASE_URL: env.string('postgres://sightline@127.0.0.1:5432/sightline'),
  DB_POOL_SIZE: env.int(10, 1, 100),
  DB_STATEMENT_TIMEOUT_MS: env.int(30_000, 1000),
};

/** Environment variables of the persistence service (documented in docs/persistence.md). */
export const persistenceConfigShape = {
  ...baseConfigShape,
  ...databaseConfigShape,
  HTTP_PORT: env.port(3003),
  PERSIST_BATCH_SIZE: env.int(500, 1, MAX_ROWS_PER_BATCH),
  /**
   * Longest wait for a partial batch. 200 ms: at a few dozen results per second a batch then holds ~10 rows instead of
   * ~2, which roughly halves PostgreSQL's and this service's CPU per result (docs/benchmarks.md); live delivery does
   * not wait for it (the gateway reads the stream), only the stored copy lags by up to this much.
   */
  PERSIST_LINGER_MS: env.int(200, 0, 10_000),
  PERSIST_MAX_IN_FLIGHT: env.int(2000, 1),
  PERSIST_ACK_WAIT_MS: env.int(30_000, 1000),
  PERSIST_RETRY_INITIAL_MS: env.int(250, 10),
  PERSIST_RETRY_MAX_MS: env.int(5000, 100),
  AUTH_JWKS_URL: env.url(`http://127.0.0.1:3001${JWKS_PATH}`, ['http', 'https']),
};

export type PersistenceConfig = ReturnType<typeof loadPersistenceConfig>;
export const loadPersistenceConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(persistenceConfigShape, source);
export const loadDatabaseConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(databaseConfigShape, source);
