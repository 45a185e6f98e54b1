/**
 * One PostgreSQL role per service on a real, password-protected PostgreSQL: the owner migrates and provisions; each
 * service's role can do its own job and nothing else (no other service's tables, no DDL, no deleting results).
 */
import { LocalPostgres, makeTempDir } from '@sightline/local-infra';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAndMigrate, createDataSource } from './data-source.js';
import { provisionDatabase, serviceDatabaseUrl, type DatabaseService } from './database-roles.js';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS } from './identity/index.js';

const PASSWORDS: Record<DatabaseService, string> = { auth: "auth-'pw", persistence: 'persistence-pw', tracker: 'tracker-pw' };

describe('database roles per service', () => {
  let dir: string;
  let postgres: LocalPostgres;
  const clients: pg.Client[] = [];

  const connect = async (service: DatabaseService, password = PASSWORDS[service]): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: serviceDatabaseUrl(postgres.url, service, password) });
    await client.connect();
    clients.push(client);
    return client;
  };
  /** The SQLSTATE a statement fails with, or 'ok'. */
  const attempt = (client: pg.Client, sql: string, params: unknown[] = []): Promise<string> =>
    client.query(sql, params).then(
      () => 'ok',
      (err: { code?: string }) => err.code ?? 'error',
    );
  const DENIED = '42501'; // insufficient_privilege

  beforeAll(async () => {
    dir = await makeTempDir('db-roles');
    postgres = await LocalPostgres.start({ dataDir: join(dir, 'pg'), ephemeral: true, password: 'owner-pw' });
    const applied = await provisionDatabase(postgres.url, PASSWORDS);
    expect(applied).toContain('CreateIdentityTables1751400000000');
    expect(applied).toContain('CreateAnalysisResults1751300000000');
    postgres.psql(`INSERT INTO users (username, email, password) VALUES ('alice', 'alice@example.com', 'x')`);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await postgres?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets persistence store and read results and zones, but not read users, delete results or change the schema', async () => {
    const persistence = await connect('persistence');
    const insert = `INSERT INTO analysis_results (session_id, timestamp, event, payload) VALUES ('cam-1', now(), 'sessionStarted', '{}')`;
    expect(await attempt(persistence, insert)).toBe('ok');
    expect(await attempt(persistence, 'SELECT count(*) FROM analysis_results')).toBe('ok');
    expect(await attempt(persistence, `INSERT INTO session_zones (session_id, config) VALUES ('cam-1', '{}')`)).toBe('ok');
    expect(await attempt(persistence, 'SELECT password FROM users')).toBe(DENIED);
    expect(await attempt(persistence, 'SELECT * FROM password_reset_tokens')).toBe(DENIED);
    expect(await attempt(persistence, 'DELETE FROM analysis_results')).toBe(DENIED);
    expect(await attempt(persistence, `UPDATE analysis_results SET event = 'x'`)).toBe(DENIED);
    expect(await attempt(persistence, 'TRUNCATE analysis_results')).toBe(DENIED);
    expect(await attempt(persistence, 'DROP TABLE analysis_results')).toBe(DENIED);
    expect(await attempt(persistence, 'CREATE TABLE stash (x int)')).toBe(DENIED);
    expect(postgres.psql('SELECT count(*) FROM analysis_results').trim()).toBe('1');
  });

  it('lets auth manage identities, but not read or delete results, nor read zones', async () => {
    const auth = await connect('auth');
    expect(await attempt(auth, `INSERT INTO users (username, email, password) VALUES ('bob', 'bob@example.com', 'x')`)).toBe('ok');
    expect(await attempt(auth, `UPDATE users SET password = 'y' WHERE username = 'bob'`)).toBe('ok');
    expect(
      await attempt(auth, `INSERT INTO session_grants (user_id, session_id) SELECT id, 'cam-1' FROM users WHERE username = 'bob'`),
    ).toBe('ok');
    expect(await attempt(auth, `DELETE FROM users WHERE username = 'bob'`)).toBe('ok');
    expect(await attempt(auth, 'DELETE FROM analysis_results')).toBe(DENIED);
    expect(await attempt(auth, 'SELECT * FROM analysis_results')).toBe(DENIED);
    expect(await attempt(auth, 'SELECT * FROM session_zones')).toBe(DENIED);
    expect(await attempt(auth, 'DROP TABLE users')).toBe(DENIED);
    expect(await attempt(auth, 'ALTER TABLE users ADD COLUMN backdoor text')).toBe(DENIED);
  });

  it('lets the tracker only read zones', async () => {
    const tracker = await connect('tracker');
    expect(await attempt(tracker, 'SELECT config FROM session_zones')).toBe('ok');
    expect(await attempt(tracker, `INSERT INTO session_zones (session_id, config) VALUES ('cam-2', '{}')`)).toBe(DENIED);
    expect(await attempt(tracker, 'SELECT * FROM analysis_results')).toBe(DENIED);
    expect(await attempt(tracker, 'SELECT * FROM users')).toBe(DENIED);
  });

  it('lets a service start on a provisioned schema with its own role, which cannot migrate one', async () => {
    const current = createDataSource({
      url: serviceDatabaseUrl(postgres.url, 'auth', PASSWORDS.auth),
      entities: IDENTITY_ENTITIES,
      migrations: IDENTITY_MIGRATIONS,
    });
    expect(await connectAndMigrate(current)).toEqual([]);
    await current.destroy();

    postgres.psql('CREATE DATABASE fresh');
    const freshUrl = new URL(serviceDatabaseUrl(postgres.url, 'auth', PASSWORDS.auth));
    freshUrl.pathname = '/fresh';
    const fresh = createDataSource({ url: freshUrl.toString(), entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
    await expect(connectAndMigrate(fresh)).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' });
    if (fresh.isInitialized) await fresh.destroy();
  });

  it('is idempotent and changes passwords: the old one is refused after provisioning again', async () => {
    await provisionDatabase(postgres.url, { ...PASSWORDS, persistence: 'rotated-pw' });
    await expect(connect('persistence')).rejects.toMatchObject({ code: '28P01' });
    const rotated = await connect('persistence', 'rotated-pw');
    expect(await attempt(rotated, 'SELECT count(*) FROM analysis_results')).toBe('ok');
    expect(await attempt(rotated, 'SELECT * FROM users')).toBe(DENIED);
  });
});
