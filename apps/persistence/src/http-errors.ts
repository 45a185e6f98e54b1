/** The codes the query and zones APIs raise, and the HTTP status of each (anything else is a logged 500). */
import { ContractErrorCode, SharedErrorCode, type ErrorCodeOf } from '@sightline/contracts';
import { QueryErrorCode } from '@sightline/db';
import { type StatusByCode } from '@sightline/service-kit';

/** Codes the controllers raise themselves; the query functions add QueryErrorCode. */
export const PersistenceApiErrorCode = {
  invalidQuery: 'INVALID_QUERY',
  invalidSessionId: ContractErrorCode.invalidSessionId,
  invalidZones: 'INVALID_ZONES',
  sessionNotFound: SharedErrorCode.sessionNotFound,
  zonesNotFound: 'ZONES_NOT_FOUND',
  dbUnavailable: SharedErrorCode.dbUnavailable,
} as const;
type PersistenceHttpCode = ErrorCodeOf<typeof PersistenceApiErrorCode> | QueryErrorCode;

export const PERSISTENCE_STATUS_BY_CODE: StatusByCode<PersistenceHttpCode> = {
  INVALID_QUERY: 400,
  INVALID_SESSION_ID: 400,
  INVALID_ZONES: 400,
  INVALID_CURSOR: 400,
  INVALID_LIMIT: 400,
  SESSION_NOT_FOUND: 404,
  ZONES_NOT_FOUND: 404,
  DB_UNAVAILABLE: 503,
};

/** Query errors that are the client's input, not the database failing. */
export const CLIENT_QUERY_ERRORS: ReadonlySet<string> = new Set<string>(Object.values(QueryErrorCode));
