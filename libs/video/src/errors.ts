/** Codes of the errors and warnings this library raises (part of the public contract: `sourceError` events, HTTP bodies, logs). */
import { SharedErrorCode, type ErrorCodeOf } from '@sightline/contracts';

/** Session and source failures; FFmpeg's own failures are `DecodeErrorCode`, the RTSP client's `RtspErrorCode`. */
export const VideoErrorCode = {
  /** A source URL or path that cannot be used; fatal. */
  invalidSource: SharedErrorCode.invalidSource,
  sessionNotFound: SharedErrorCode.sessionNotFound,
  sessionExists: 'SESSION_EXISTS',
  sessionLimitReached: 'SESSION_LIMIT_REACHED',
  /** No frame published yet to take a snapshot of. */
  snapshotUnavailable: 'SNAPSHOT_UNAVAILABLE',
  /** FFmpeg could not encode the snapshot. */
  snapshotFailed: 'SNAPSHOT_FAILED',
  sourcePictureUnavailable: 'SOURCE_PICTURE_UNAVAILABLE',
  /** A live source ended although it should run forever. */
  sourceEnded: 'SOURCE_ENDED',
  /** No frame within the stall timeout. */
  sourceStalled: 'SOURCE_STALLED',
  /** A frame over the bus's message limit: a configuration error no retry fixes. */
  frameTooLarge: 'FRAME_TOO_LARGE',
  publishFailed: SharedErrorCode.publishFailed,
  /** A sessions file that cannot be read or parsed. */
  configInvalid: SharedErrorCode.configInvalid,
} as const;
export type VideoErrorCode = ErrorCodeOf<typeof VideoErrorCode>;

/** Codes of the warnings this library logs (`code` field). */
export const VideoWarningCode = {
  /** The configured hardware decoder cannot be used; software decoding instead. */
  hwaccelUnavailable: 'HWACCEL_UNAVAILABLE',
  /** One H.264 access unit decoded as two pictures (parameter sets between slices); the second is skipped. */
  splitAccessUnit: 'SPLIT_ACCESS_UNIT',
  /** A decoded frame that cannot be traced to its RTP sample (skipped). */
  frameNotTimed: 'FRAME_NOT_TIMED',
  /** The camera restarted or its RTP timeline jumped; presentation times continue. */
  rtspDiscontinuity: 'RTSP_DISCONTINUITY',
} as const;
export type VideoWarningCode = ErrorCodeOf<typeof VideoWarningCode>;
