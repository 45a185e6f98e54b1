/**
 * The one place where NATS subjects, JetStream streams and durable consumer names are defined.
 *
 *   frames.<sessionId>              raw pixels (body) + FrameMeta (header)      stream FRAMES  (memory, work-queue)
 *   results.<sessionId>.<event>     ResultEnvelope JSON                          stream RESULTS (file, dedup by msg id)
 *   dlq.<stream>                    DeadLetter JSON                              stream DLQ     (file)
 */
import { ContractErrorCode, SightlineError } from './errors.js';

/** Session ids become NATS subject tokens and a VARCHAR(64) column: keep them to a safe alphabet. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function assertSessionId(sessionId: string): string {
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    throw new SightlineError(ContractErrorCode.invalidSessionId, 'session id must match [A-Za-z0-9_-]{1,64}', { sessionId });
  }
  return sessionId;
}

export const STREAMS = {
  frames: 'FRAMES',
  results: 'RESULTS',
  deadLetters: 'DLQ',
} as const;
export type StreamName = (typeof STREAMS)[keyof typeof STREAMS];

export const SUBJECTS = {
  /** Wildcards that each stream captures. */
  allFrames: 'frames.>',
  allResults: 'results.>',
  allDeadLetters: 'dlq.>',
  frame: (sessionId: string): string => `frames.${assertSessionId(sessionId)}`,
  result: (sessionId: string, event: string): string => `results.${assertSessionId(sessionId)}.${event}`,
  /** Filter for one session's results (all events), used by gateway subscriptions. */
  sessionResults: (sessionId: string): string => `results.${assertSessionId(sessionId)}.>`,
  /** Every session's frameAnalyzed: what the tracker consumes. */
  allFramesAnalyzed: 'results.*.frameAnalyzed',
  deadLetter: (stream: string): string => `dlq.${stream}`,
} as const;

/** Durable consumer names: replicas of one service share its durable, so JetStream splits the work among them. */
export const CONSUMERS = {
  inference: 'inference',
  persistence: 'persistence',
  /** One per partition of the sessions (`tracker` when not partitioned). */
  tracker: (partition = 0, partitions = 1): string => (partitions === 1 ? 'tracker' : `tracker-${partition}-of-${partitions}`),
} as const;

/** JetStream key-value buckets. */
export const KV_BUCKETS = {
  /** The tracker's per-session state (tracks, zone memberships, last frame), one key per session. */
  trackerState: 'TRACKER_STATE',
} as const;

/** NATS header names. `Nats-Msg-Id` is JetStream's own de-duplication header. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  frameMeta: 'Sightline-Frame',
  deadLetterReason: 'Sightline-Dlq-Reason',
} as const;

/** Message ids make retried publishes idempotent inside the stream's duplicate window. */
export const MESSAGE_IDS = {
  // The run (a start of the session) keeps a restarted session's frames, which count from 0 again, apart.
  frame: (sessionId: string, seq: number, run?: string): string => `${sessionId}:${run ? `${run}:` : ''}${seq}`,
  result: (sessionId: string, event: string, seq: number | string, run?: string): string =>
    `${sessionId}:${event}:${run ? `${run}:` : ''}${seq}`,
} as const;
