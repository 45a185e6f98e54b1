import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateAnalysisResults1751300000000 implements MigrationInterface {
  name = 'CreateAnalysisResults1751300000000';

  async up(db: QueryRunner): Promise<void> {
    // The DDL of requirements §7.1/§7.2, verbatim (index names are the ones PostgreSQL gives its unnamed indexes).
    await db.query(`
      CREATE TABLE analysis_results (
        id          SERIAL PRIMARY KEY,
        session_id  VARCHAR(64) NOT NULL,
        timestamp   TIMESTAMPTZ NOT NULL,
        event       VARCHAR(32) NOT NULL,
        payload     JSONB        NOT NULL
      )`);
    await db.query(`CREATE INDEX analysis_results_session_id_idx ON analysis_results (session_id)`);
    await db.query(`CREATE INDEX analysis_results_timestamp_idx ON analysis_results (timestamp)`);

    // Idempotency keys, so a redelivered result is skipped by ON CONFLICT DO NOTHING:
    // - a frame is analysed once per session: (session_id, frameSeq); a re-inferred frame keeps its first row;
    await db.query(`
      CREATE UNIQUE INDEX analysis_results_frame_key ON analysis_results (session_id, (payload->>'frameSeq'))
      WHERE event = 'frameAnalyzed'`);
    // - lifecycle events carry no sequence: the whole envelope is the key. The payload enters as an MD5 of its
    //   canonical jsonb text, so a large payload cannot exceed the btree entry limit.
    await db.query(`
      CREATE UNIQUE INDEX analysis_results_lifecycle_key ON analysis_results (session_id, event, timestamp, md5(payload::text))
      WHERE event <> 'frameAnalyzed'`);
    // Keyset pagination of one session's results by id reads this index in order instead of sorting the session.
    await db.query(`CREATE INDEX analysis_results_session_page_idx ON analysis_results (session_id, id)`);

    await db.query(`
      CREATE TABLE analysis_session_summaries (
        session_id       VARCHAR(64) PRIMARY KEY,
        first_timestamp  TIMESTAMPTZ NOT NULL,
        last_timestamp   TIMESTAMPTZ NOT NULL,
        result_count     BIGINT NOT NULL,
        frame_count      BIGINT NOT NULL,
        detection_count  BIGINT NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE analysis_session_summaries`);
    await db.query(`DROP TABLE analysis_results`);
  }
}
