/**
 * Least privilege in PostgreSQL: one login role per service with only the table rights it uses, written once here.
 * The owner (the role that runs `provisionDatabase`, e.g. compose's `db-provision` or the local fleet) owns the
 * schema and runs every migration; the services' runtime roles cannot create, alter or drop anything, and none can
 * read another service's tables (the persistence role cannot read `users`, the auth role cannot touch results).
 */
import { SightlineError } from '@sightline/contracts';
import { type DataSource } from 'typeorm';
import { connectAndMigrate, createDataSource } from './data-source.js';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS } from './identity/index.js';
import { RESULT_ENTITIES, RESULT_MIGRATIONS } from './results/index.js';
import { DbErrorCode } from './errors.js';

export const DATABASE_SERVICES = ['auth', 'persistence', 'tracker'] as const;
export type DatabaseService = (typeof DATABASE_SERVICES)[number];

type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

interface ServiceGrants {
  role: string;
  tables: Record<string, readonly Privilege[]>;
  /** Sequences behind SERIAL columns the service inserts into. */
  sequences: readonly string[];
}

const READ_WRITE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * What each service does with the database, table by table. Every runtime role may also read the migrations table:
 * at start-up a service checks that the schema is current (it cannot migrate it).
 */
export const DATABASE_GRANTS: Record<DatabaseService, ServiceGrants> = {
  auth: {
    role: 'sightline_auth',
    tables: {
      users: READ_WRITE,
      roles: READ_WRITE,
      user_roles: READ_WRITE,
      password_reset_tokens: READ_WRITE,
      email_verification_tokens: READ_WRITE,
      token_revocations: ['SELECT', 'INSERT', 'UPDATE'],
      session_grants: ['SELECT', 'INSERT', 'DELETE'],
    },
    sequences: ['users_id_seq', 'roles_id_seq', 'password_reset_tokens_id_seq'],
  },
  persistence: {
    role: 'sightline_persistence',
    tables: {
      // Results are append-only: stored once, never changed or deleted by the service.
      analysis_results: ['SELECT', 'INSERT'],
      analysis_session_summaries: ['SELECT', 'INSERT', 'UPDATE'],
      session_zones: READ_WRITE,
    },
    sequences: ['analysis_results_id_seq'],
  },
  tracker: {
    role: 'sightline_tracker',
    tables: { session_zones: ['SELECT'] },
    sequences: [],
  },
};

export const MIGRATIONS_TABLE = 'typeorm_migrations';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ident = (name: string): string => {
  if (!IDENTIFIER.test(name)) throw new SightlineError(DbErrorCode.configInvalid, `not a plain SQL identifier: ${name}`);
  return `"${name}"`;
};
const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** SQL that (re)creates a service's login role with this password and gives it exactly its grants. Idempotent. */
export function serviceRoleStatements(service: DatabaseService, password: string, database: string): string[] {
  const { role, tables, sequences } = DATABASE_GRANTS[service];
  const r = ident(role);
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(role)}) THEN CREATE ROLE ${r}; END IF; END $$`,
    `ALTER ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD ${literal(password)}`,
    `GRANT CONNECT ON DATABASE "${database.replaceAll('"', '""')}" TO ${r}`,
    `GRANT USAGE ON SCHEMA public TO ${r}`,
    // A right taken out of DATABASE_GRANTS is taken away on the next provisioning.
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${r}`,
    `GRANT SELECT ON ${ident(MIGRATIONS_TABLE)} TO ${r}`,
    ...Object.entries(tables).map(([table, privileges]) => `GRANT ${privileges.join(', ')} ON ${ident(table)} TO ${r}`),
    ...sequences.map((sequence) => `GRANT USAGE ON SEQUENCE ${ident(sequence)} TO ${r}`),
  ];
}

/** Owner URL → the URL a service connects with: same host and database, the service's role and password. */
export function serviceDatabaseUrl(ownerUrl: string, service: DatabaseService, password: string): string {
  const url = new URL(ownerUrl);
  url.username = DATABASE_GRANTS[service].role;
  url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * Run as the owner: applies every migration (identity and results), then creates the runtime role of each service
 * given a password with exactly its grants. Returns the migrations applied.
 */
export async function provisionDatabase(ownerUrl: string, passwords: Partial<Record<DatabaseService, string>>): Promise<string[]> {
  const db = createDataSource({
    url: ownerUrl,
    entities: [...IDENTITY_ENTITIES, ...RESULT_ENTITIES],
    migrations: [...IDENTITY_MIGRATIONS, ...RESULT_MIGRATIONS],
    applicationName: 'sightline-db-provision',
  });
  try {
    const applied = await connectAndMigrate(db);
    await grantServiceRoles(db, passwords);
    return applied;
  } finally {
    if (db.isInitialized) await db.destroy();
  }
}

async function grantServiceRoles(db: DataSource, passwords: Partial<Record<DatabaseService, string>>): Promise<void> {
  const [{ database }] = (await db.query('SELECT current_database() AS database')) as [{ database: string }];
  try {
    await db.transaction(async (tx) => {
      // Before PostgreSQL 15 every role could create tables in `public`; only the owner may.
      await tx.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      for (const service of DATABASE_SERVICES) {
        const password = passwords[service];
        if (password === undefined) continue;
        if (!password) throw new SightlineError(DbErrorCode.configInvalid, `empty database password for ${service}`);
        for (const statement of serviceRoleStatements(service, password, database)) await tx.query(statement);
      }
    });
  } catch (err) {
    if (err instanceof SightlineError) throw err;
    // The statements carry passwords: keep the database's reason only, not the failed query (no `cause`).
    throw new SightlineError(DbErrorCode.dbProvisionFailed, `database roles not provisioned: ${(err as Error).message}`);
  }
}
