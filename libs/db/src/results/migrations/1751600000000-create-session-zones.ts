import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Zones and counting lines per session (validated by the API before they are stored; read by the tracker). */
export class CreateSessionZones1751600000000 implements MigrationInterface {
  name = 'CreateSessionZones1751600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE session_zones (
        session_id  VARCHAR(64) PRIMARY KEY,
        config      JSONB       NOT NULL,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE session_zones`);
  }
}
