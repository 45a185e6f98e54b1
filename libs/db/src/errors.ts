/** Codes of the errors this library raises; the query functions' client-input codes are QueryErrorCode. */
import { SharedErrorCode, type ErrorCodeOf } from '@sightline/contracts';

export const DbErrorCode = {
  dbUnavailable: SharedErrorCode.dbUnavailable,
  /** A role name or password unfit for provisioning. */
  configInvalid: SharedErrorCode.configInvalid,
  /** Creating the per-service roles and grants failed. */
  dbProvisionFailed: 'DB_PROVISION_FAILED',
  /** More rows than one insert takes (MAX_ROWS_PER_BATCH). */
  batchTooLarge: 'BATCH_TOO_LARGE',
} as const;
export type DbErrorCode = ErrorCodeOf<typeof DbErrorCode>;
