/**
 * The identity migration against a real PostgreSQL: the users/roles/user_roles DDL of requirements §8.1 exactly (types, sizes,
 * nullability, defaults, keys), seeded roles, the entity mapping, and a clean revert.
 */
import { LocalPostgres, makeTempDir } from '@sightline/local-infra';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAndMigrate, createDataSource } from '../data-source.js';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS, RoleEntity, UserEntity } from './index.js';

describe('identity schema', () => {
  let dir: string;
  let pg: LocalPostgres;
  let db: DataSource;

  const columns = (table: string) =>
    pg
      .psql(
        `SELECT column_name, data_type, coalesce(character_maximum_length::text, ''), is_nullable, coalesce(column_default, '')
         FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`,
      )
      .trim()
      .split('\n');
  const constraints = (table: string) =>
    pg.psql(`SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '${table}'::regclass ORDER BY 1`).trim().split('\n');

  beforeAll(async () => {
    dir = await makeTempDir('identity-schema');
    pg = await LocalPostgres.start({ dataDir: join(dir, 'pg'), ephemeral: true });
    db = createDataSource({ url: pg.url, entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
    expect(await connectAndMigrate(db)).toEqual([
      'CreateIdentityTables1751400000000',
      'SessionGrants1751610000000',
      'EmailVerification1751700000000',
    ]);
  });

  afterAll(async () => {
    await db?.destroy();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates exactly the specification’s users, roles and user_roles', () => {
    expect(columns('users')).toEqual([
      "id|integer||NO|nextval('users_id_seq'::regclass)",
      'username|character varying|64|NO|',
      'email|character varying|255|NO|',
      'password|character varying|255|NO|',
      'created_at|timestamp with time zone||NO|now()',
    ]);
    expect(constraints('users')).toEqual(['PRIMARY KEY (id)', 'UNIQUE (email)', 'UNIQUE (username)']);
    expect(columns('roles')).toEqual(["id|integer||NO|nextval('roles_id_seq'::regclass)", 'name|character varying|32|NO|']);
    expect(constraints('roles')).toEqual(['PRIMARY KEY (id)', 'UNIQUE (name)']);
    // Part of a composite primary key, hence NOT NULL, as in the DDL of requirements §8.1.
    expect(columns('user_roles')).toEqual(['user_id|integer||NO|', 'role_id|integer||NO|']);
    expect(constraints('user_roles')).toEqual([
      'FOREIGN KEY (role_id) REFERENCES roles(id)',
      'FOREIGN KEY (user_id) REFERENCES users(id)',
      'PRIMARY KEY (user_id, role_id)',
    ]);
  });

  it('seeds the admin, operator and agent roles', () => {
    expect(pg.psql("SELECT string_agg(name, ',' ORDER BY id) FROM roles").trim()).toBe('admin,operator,agent');
  });

  it('maps the entities onto the tables, hiding the password hash from ordinary reads', async () => {
    const agent = await db.getRepository(RoleEntity).findOneByOrFail({ name: 'agent' });
    const saved = await db
      .getRepository(UserEntity)
      .save({ username: 'ada', email: 'ada@example.com', password: '$2b$12$hash', roles: [agent] });
    expect(pg.psql(`SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ${saved.id}`).trim()).toBe(
      'agent',
    );
    const loaded = await db.getRepository(UserEntity).findOneOrFail({ where: { id: saved.id }, relations: { roles: true } });
    expect(loaded).toMatchObject({ username: 'ada', roles: [{ name: 'agent' }], createdAt: expect.any(Date) });
    expect(loaded).not.toHaveProperty('password');
    // user_roles keeps the plain FK of requirements §8.1: deleting a user with roles is refused until its memberships are gone.
    expect(() => pg.psql(`DELETE FROM users WHERE id = ${saved.id}`)).toThrow(/user_roles_user_id_fkey/);
  });

  it('keeps session grants per user (a session id or *), and revocations that outlive their user', () => {
    expect(constraints('session_grants')).toEqual([
      expect.stringMatching(/^CHECK .*session_id.*'\*'/),
      'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE',
      'PRIMARY KEY (user_id, session_id)',
    ]);
    pg.psql(`INSERT INTO users (username, email, password) VALUES ('gone', 'gone@example.com', 'x')`);
    const id = pg.psql(`SELECT id FROM users WHERE username = 'gone'`).trim();
    pg.psql(`INSERT INTO session_grants (user_id, session_id) VALUES (${id}, 'cam-1'), (${id}, '*')`);
    expect(() => pg.psql(`INSERT INTO session_grants (user_id, session_id) VALUES (${id}, 'cam 1')`)).toThrow(
      /session_grants_session_id_check/,
    );
    pg.psql(`INSERT INTO token_revocations (user_id, revoked_before) VALUES (${id}, now())`);
    pg.psql(`DELETE FROM users WHERE id = ${id}`);
    expect(pg.psql(`SELECT count(*) FROM session_grants WHERE user_id = ${id}`).trim()).toBe('0');
    expect(pg.psql(`SELECT count(*) FROM token_revocations WHERE user_id = ${id}`).trim()).toBe('1');
  });

  it('reverts cleanly and migrates again', async () => {
    await db.undoLastMigration({ transaction: 'each' });
    expect(pg.psql(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'email_verification_tokens'`).trim()).toBe('0');
    await db.undoLastMigration({ transaction: 'each' });
    expect(constraints('token_revocations')).toContain('FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE');
    await db.undoLastMigration({ transaction: 'each' });
    expect(
      pg
        .psql(
          `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('users', 'roles', 'user_roles', 'password_reset_tokens', 'token_revocations')`,
        )
        .trim(),
    ).toBe('0');
    expect(await connectAndMigrate(db)).toEqual([
      'CreateIdentityTables1751400000000',
      'SessionGrants1751610000000',
      'EmailVerification1751700000000',
    ]);
  });
});
