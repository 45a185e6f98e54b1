/** HTTP status of each code the session API raises; anything else (e.g. SNAPSHOT_FAILED) is a logged 500. */
import { type StatusByCode } from '@sightline/service-kit';

export const INGEST_STATUS_BY_CODE = {
  INVALID_MESSAGE: 400,
  INVALID_SOURCE: 400,
  INVALID_SESSION_ID: 400,
  SESSION_NOT_FOUND: 404,
  SNAPSHOT_UNAVAILABLE: 404,
  SESSION_EXISTS: 409,
  SESSION_LIMIT_REACHED: 429,
} as const satisfies StatusByCode;
