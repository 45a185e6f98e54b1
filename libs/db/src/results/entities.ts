/**
 * Result tables owned by the persistence service. `analysis_results` is exactly the specification's DDL (§7); its
 * extra indexes (idempotency, keyset pagination) and the derived `analysis_session_summaries` table live in the
 * migration, which is the source of truth for the schema (nothing is ever synchronised from these classes).
 */
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';

@Entity({ name: 'analysis_results' })
export class AnalysisResultEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'session_id', type: 'varchar', length: 64 })
  sessionId!: string;

  @Column({ type: 'timestamptz' })
  timestamp!: Date;

  @Column({ type: 'varchar', length: 32 })
  event!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;
}

/** pg returns BIGINT as a string (it may exceed 2^53); counts here stay far below that. */
const bigintAsNumber: ValueTransformer = { to: (value: number) => value, from: (value: string) => Number(value) };

/**
 * One row per session, maintained in the same transaction as the result inserts (only rows actually inserted are
 * counted), so `GET /sessions` never has to aggregate the whole results table.
 */
@Entity({ name: 'analysis_session_summaries' })
export class SessionSummaryEntity {
  @PrimaryColumn({ name: 'session_id', type: 'varchar', length: 64 })
  sessionId!: string;

  @Column({ name: 'first_timestamp', type: 'timestamptz' })
  firstTimestamp!: Date;

  @Column({ name: 'last_timestamp', type: 'timestamptz' })
  lastTimestamp!: Date;

  /** Rows of every event kind. */
  @Column({ name: 'result_count', type: 'bigint', transformer: bigintAsNumber })
  resultCount!: number;

  /** frameAnalyzed rows. */
  @Column({ name: 'frame_count', type: 'bigint', transformer: bigintAsNumber })
  frameCount!: number;

  /** Detections over all frameAnalyzed rows. */
  @Column({ name: 'detection_count', type: 'bigint', transformer: bigintAsNumber })
  detectionCount!: number;
}
