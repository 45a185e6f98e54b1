import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Written out here rather than imported: a migration must keep doing what it did when it first ran. */
const SEEDED_ROLES = ['admin', 'operator', 'agent'];

export class CreateIdentityTables1751400000000 implements MigrationInterface {
  name = 'CreateIdentityTables1751400000000';

  async up(db: QueryRunner): Promise<void> {
    // The DDL of requirements §8.1, verbatim.
    await db.query(`
      CREATE TABLE users (
        id          SERIAL PRIMARY KEY,
        username    VARCHAR(64) UNIQUE NOT NULL,
        email       VARCHAR(255) UNIQUE NOT NULL,
        password    VARCHAR(255) NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE roles (
        id   SERIAL PRIMARY KEY,
        name VARCHAR(32) UNIQUE NOT NULL
      )`);
    await db.query(`
      CREATE TABLE user_roles (
        user_id INT REFERENCES users(id),
        role_id INT REFERENCES roles(id),
        PRIMARY KEY(user_id, role_id)
      )`);
    // The primary key serves lookups by user; this one serves "who has role X" (admin count, role deletion).
    await db.query(`CREATE INDEX user_roles_role_id_idx ON user_roles (role_id)`);
    await db.query(`INSERT INTO roles (name) VALUES ${SEEDED_ROLES.map((_, i) => `($${i + 1})`).join(', ')}`, SEEDED_ROLES);

    await db.query(`
      CREATE TABLE password_reset_tokens (
        id          SERIAL PRIMARY KEY,
        user_id     INT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash  CHAR(64) UNIQUE NOT NULL,
        expires_at  TIMESTAMPTZ NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX password_reset_tokens_user_id_idx ON password_reset_tokens (user_id)`);
    await db.query(`
      CREATE TABLE token_revocations (
        user_id         INT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        revoked_before  TIMESTAMPTZ NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE token_revocations`);
    await db.query(`DROP TABLE password_reset_tokens`);
    await db.query(`DROP TABLE user_roles`);
    await db.query(`DROP TABLE roles`);
    await db.query(`DROP TABLE users`);
  }
}
