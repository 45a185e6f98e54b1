/** Codes this library raises or dead-letters with. */
import { ContractErrorCode, SharedErrorCode, type ErrorCodeOf } from '@sightline/contracts';

export const PersistenceErrorCode = {
  /** A result that is not a valid envelope (dead-lettered at once). */
  invalidMessage: ContractErrorCode.invalidMessage,
  /** A result over MAX_RESULT_BYTES (dead-lettered at once). */
  messageTooLarge: SharedErrorCode.messageTooLarge,
  /** Stopping while the database is down: the batch is left for JetStream to redeliver. */
  dbUnavailable: SharedErrorCode.dbUnavailable,
  /** PostgreSQL refused a row for its content (dead-lettered with the SQLSTATE). */
  dbRejected: 'DB_REJECTED',
  /** A failure with neither our code nor a SQLSTATE (logged only). */
  unknown: 'UNKNOWN',
} as const;
export type PersistenceErrorCode = ErrorCodeOf<typeof PersistenceErrorCode>;
