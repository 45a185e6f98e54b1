/** The codes the session API raises, and the HTTP status of each; anything else (e.g. SNAPSHOT_FAILED) is a logged 500. */
import { type ContractErrorCode } from '@sightline/contracts';
import { type StatusByCode } from '@sightline/service-kit';
import { type VideoErrorCode } from '@sightline/video';

/** Client-facing codes of SessionManager (@sightline/video) and its source parsers. */
type SessionApiErrorCode = (typeof VideoErrorCode)[
  'invalidSource' | 'sessionNotFound' | 'snapshotUnavailable' | 'sourcePictureUnavailable' | 'sessionExists' | 'sessionLimitReached'];
type IngestHttpCode = SessionApiErrorCode | ContractErrorCode;

export const INGEST_STATUS_BY_CODE: StatusByCode<IngestHttpCode> = {
  INVALID_MESSAGE: 400,
  INVALID_SOURCE: 400,
  INVALID_SESSION_ID: 400,
  SESSION_NOT_FOUND: 404,
  SNAPSHOT_UNAVAILABLE: 404,
  SOURCE_PICTURE_UNAVAILABLE: 404,
  SESSION_EXISTS: 409,
  SESSION_LIMIT_REACHED: 429,
};
