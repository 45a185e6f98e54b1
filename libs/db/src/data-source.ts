/**
 * One TypeORM DataSource factory over `pg` for every service that owns tables. Schema changes happen only through
 * migrations (never `synchronize`), run at start-up by the owning service or by `npm run migrate`.
 *
 * Tables are grouped by owner: `results/` (persistence service: analysis_results) and `identity/` (auth service:
 * users, roles, user_roles, reset tokens). Each group exports its entities and migrations.
 */
import { SightlineError } from '@sightline/contracts';
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { DbErrorCode } from './errors.js';

export interface DatabaseOptions {
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** At least 2 are used: `connectAndMigrate` holds one for its advisory lock while migrations run on another. */
  poolSize?: number;
  /** Applied per connection: a stuck statement never blocks a consumer forever. */
  statementTimeoutMs?: number;
  applicationName?: string;
}

export function createDataSource(options: DatabaseOptions): DataSource {
  const config: DataSourceOptions = {
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    logging: false,
    extra: {
      max: Math.max(2, options.poolSize ?? 10),
      connectionTimeoutMillis: 5000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      application_name: options.applicationName ?? 'sightline',
    },
  };
  return new DataSource(config);
}

/** Arbitrary, fixed: the advisory lock id all Sightline services take while migrating. */
const MIGRATION_LOCK_KEY = 0x5179_7469;

/** Connects and applies pending migrations (each in its own transaction). */
export async function connectAndMigrate(dataSource: DataSource): Promise<string[]> {
  try {
    if (!dataSource.isInitialized) await dataSource.initialize();
    // Services sharing a database may start together: serialise their migrations with a session advisory lock.
    const lock = dataSource.createQueryRunner();
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await lock.release();
    }
  } catch (err) {
    throw new SightlineError(DbErrorCode.dbUnavailable, `database not usable: ${(err as Error).message}`, {}, { cause: err });
  }
}

/** Cheap liveness probe used by readiness checks. */
export async function isDatabaseUp(dataSource: DataSource): Promise<boolean> {
  if (!dataSource.isInitialized) return false;
  try {
    await dataSource.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
