import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A frame is identified by (session, run, frameSeq): a session id reused after an ingest restart counts frameSeq from
 * 0 again, and with the old key (session, frameSeq) its results were skipped as duplicates of the earlier start's.
 * Results without a run (stored before runs existed) keep the old key: run reads as ''.
 */
export class FrameKeyPerRun1751500000000 implements MigrationInterface {
  name = 'FrameKeyPerRun1751500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX analysis_results_frame_key`);
    await db.query(`
      CREATE UNIQUE INDEX analysis_results_frame_key
      ON analysis_results (session_id, (coalesce(payload->>'run', '')), (payload->>'frameSeq'))
      WHERE event = 'frameAnalyzed'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX analysis_results_frame_key`);
    await db.query(`
      CREATE UNIQUE INDEX analysis_results_frame_key ON analysis_results (session_id, (payload->>'frameSeq'))
      WHERE event = 'frameAnalyzed'`);
  }
}
