import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Which sessions a user may see (results, snapshots, source metadata, live feed): one row per grant, `*` for every
 * session. Operators and admins see every session by role and need no rows.
 *
 * token_revocations loses its foreign key: a deleted user's revocation must outlive the user, because the other
 * services learn about revocations from this table (the auth service's revocation feed), not from `users`.
 */
export class SessionGrants1751610000000 implements MigrationInterface {
  name = 'SessionGrants1751610000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE session_grants (
        user_id     INT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        session_id  VARCHAR(64) NOT NULL CHECK (session_id = '*' OR session_id ~ '^[A-Za-z0-9_-]{1,64}$'),
        granted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, session_id)
      )`);
    await db.query(`ALTER TABLE token_revocations DROP CONSTRAINT token_revocations_user_id_fkey`);
    await db.query(`CREATE INDEX token_revocations_revoked_before_idx ON token_revocations (revoked_before)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX token_revocations_revoked_before_idx`);
    await db.query(`DELETE FROM token_revocations r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)`);
    await db.query(
      `ALTER TABLE token_revocations ADD CONSTRAINT token_revocations_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE`,
    );
    await db.query(`DROP TABLE session_grants`);
  }
}
