/** HTTP status of each code the query and zones APIs raise; anything else is a logged 500. */
import { type StatusByCode } from '@sightline/service-kit';

export const PERSISTENCE_STATUS_BY_CODE = {
  INVALID_QUERY: 400,
  INVALID_SESSION_ID: 400,
  INVALID_CURSOR: 400,
  INVALID_LIMIT: 400,
  INVALID_ZONES: 400,
  SESSION_NOT_FOUND: 404,
  ZONES_NOT_FOUND: 404,
  DB_UNAVAILABLE: 503,
} as const satisfies StatusByCode;
