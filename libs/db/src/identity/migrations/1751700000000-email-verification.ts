import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Pending e-mail verifications of self-service signups: while a user has a row here the account may not log in.
 * One row per user (asking again replaces the token); only the token's SHA-256 is stored. Accounts made by an
 * administrator, the bootstrap admin and every account that existed before have no row: they count as verified.
 */
export class EmailVerification1751700000000 implements MigrationInterface {
  name = 'EmailVerification1751700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE email_verification_tokens (
        user_id     INT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        token_hash  CHAR(64) NOT NULL UNIQUE,
        expires_at  TIMESTAMPTZ NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE email_verification_tokens`);
  }
}
