/**
 * Writes results: one multi-row `INSERT ... ON CONFLICT DO NOTHING` per batch, in one transaction that also updates
 * the per-session summaries from the rows actually inserted, and stores the zones a sessionStarted carries. A redelivered result hits an idempotency index and is
 * skipped, so storing the same batch twice leaves the tables unchanged.
 */
import { SightlineError } from '@sightline/contracts';
import { type DataSource } from 'typeorm';
import { DbErrorCode } from '../errors.js';

/** What is stored for one result: the specification's envelope. */
export interface NewResult {
  sessionId: string;
  timestamp: string;
  event: string;
  payload: object;
}

export interface InsertOutcome {
  inserted: number;
  /** Rows skipped because their idempotency key was already stored (redeliveries). */
  duplicates: number;
}

/** PostgreSQL allows 65,535 bind parameters per statement; each row takes four. */
export const MAX_ROWS_PER_BATCH = 10_000;

/**
 * Held for the length of each insert transaction, so ids are allocated in commit order even with several
 * persistence replicas: a reader paging by `id > cursor` can then never miss a row committed after its page.
 */
const INSERT_LOCK_KEY = 0x5349_4748_5452; // arbitrary, unique to analysis_results inserts

function insertStatement(rowCount: number): string {
  const values = Array.from({ length: rowCount }, (_, i) => {
    const p = i * 4;
    return `($${p + 1}, $${p + 2}::timestamptz, $${p + 3}, $${p + 4}::jsonb)`;
  });
  // Data-modifying CTEs run to completion once; `inserted` holds only rows not skipped by ON CONFLICT.
  return `
    WITH inserted AS (
      INSERT INTO analysis_results (session_id, timestamp, event, payload)
      VALUES ${values.join(', ')}
      ON CONFLICT DO NOTHING
      RETURNING session_id, timestamp, event,
        CASE WHEN event = 'frameAnalyzed' AND jsonb_typeof(payload->'detections') = 'array'
             THEN jsonb_array_length(payload->'detections') ELSE 0 END AS detections,
        CASE WHEN event = 'sessionStarted' THEN payload->'zones' END AS zones
    ), zoned AS (
      -- A start request's zones (validated with the envelope) become the session's zones; a redelivery is skipped above.
      INSERT INTO session_zones (session_id, config, updated_at)
      SELECT DISTINCT ON (session_id) session_id, zones, now() FROM inserted
      WHERE jsonb_typeof(zones) = 'object' ORDER BY session_id, timestamp DESC
      ON CONFLICT (session_id) DO UPDATE SET config = EXCLUDED.config, updated_at = EXCLUDED.updated_at
    ), summarised AS (
      INSERT INTO analysis_session_summaries AS s
        (session_id, first_timestamp, last_timestamp, result_count, frame_count, detection_count)
      SELECT session_id, min(timestamp), max(timestamp), count(*),
             count(*) FILTER (WHERE event = 'frameAnalyzed'), sum(detections)
      FROM inserted GROUP BY session_id
      ON CONFLICT (session_id) DO UPDATE SET
        first_timestamp = LEAST(s.first_timestamp, EXCLUDED.first_timestamp),
        last_timestamp  = GREATEST(s.last_timestamp, EXCLUDED.last_timestamp),
        result_count    = s.result_count + EXCLUDED.result_count,
        frame_count     = s.frame_count + EXCLUDED.frame_count,
        detection_count = s.detection_count + EXCLUDED.detection_count
    )
    SELECT count(*)::int AS inserted FROM inserted`;
}

export class ResultStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores the batch atomically: either every new row (and its summary update) commits, or nothing does. */
  async insertBatch(results: readonly NewResult[]): Promise<InsertOutcome> {
    if (!results.length) return { inserted: 0, duplicates: 0 };
    if (results.length > MAX_ROWS_PER_BATCH) {
      throw new SightlineError(DbErrorCode.batchTooLarge, `at most ${MAX_ROWS_PER_BATCH} rows per insert`, { rows: results.length });
    }
    const params = results.flatMap((r) => [r.sessionId, r.timestamp, r.event, JSON.stringify(r.payload)]);
    const rows: Array<{ inserted: number }> = await this.dataSource.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [INSERT_LOCK_KEY]);
      return tx.query(insertStatement(results.length), params);
    });
    const inserted = rows[0]?.inserted ?? 0;
    return { inserted, duplicates: results.length - inserted };
  }
}

/**
 * SQLSTATE classes meaning "PostgreSQL will never accept this row" (22 data exception, e.g. a NUL character in a
 * JSON string; 23 integrity violation; 54 program limit exceeded) as opposed to "try again later" (connection
 * failures, shutdown, timeouts, missing table during a migration, ...).
 */
const ROW_REJECTION_CLASSES = new Set(['22', '23', '54']);

/** The SQLSTATE of a PostgreSQL error (TypeORM keeps pg's error as `driverError`); undefined for socket errors. */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isRowRejection(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && ROW_REJECTION_CLASSES.has(state.slice(0, 2));
}
