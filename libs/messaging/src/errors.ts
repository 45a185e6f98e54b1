/** Codes of the errors and warnings this library raises; callers branch on them (e.g. evict on STREAM_SUBJECT_FULL). */
import { SharedErrorCode, type ErrorCodeOf } from '@sightline/contracts';

export const MessagingErrorCode = {
  /** NATS unreachable within the connect timeout (also logged when re-provisioning after a reconnect gives up). */
  natsUnavailable: 'NATS_UNAVAILABLE',
  /** TLS was asked for but its CA file cannot be read: nothing is tried without it. */
  natsTlsCaMissing: 'NATS_TLS_CA_MISSING',
  /** A stream the service needs does not exist after the wait: the provisioning step has not run. */
  streamsNotProvisioned: 'STREAMS_NOT_PROVISIONED',
  /** A stream exists with settings that cannot be changed in place. */
  streamConfigConflict: 'STREAM_CONFIG_CONFLICT',
  /** The subject's backlog limit is reached (`discard_new_per_subject`). */
  streamSubjectFull: 'STREAM_SUBJECT_FULL',
  messageTooLarge: SharedErrorCode.messageTooLarge,
  /** No acknowledgement from JetStream (no responders, timeout). */
  publishUnacknowledged: 'PUBLISH_UNACKNOWLEDGED',
  publishFailed: SharedErrorCode.publishFailed,
  /** A pull worker's handler failed without a code of its own (dead-letter code). */
  handlerFailed: 'HANDLER_FAILED',
} as const;
export type MessagingErrorCode = ErrorCodeOf<typeof MessagingErrorCode>;
