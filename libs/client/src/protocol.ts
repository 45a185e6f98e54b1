/**
 * The /ws/analysis wire protocol as an agent sees it.
 *
 * Types come from @sightline/contracts through type-only imports (erased at build time), so the published SDK has no
 * runtime dependency on the monorepo. The few runtime constants are restated here with their types pinned to the
 * contracts' literal types: if the contracts change a value, this file stops compiling.
 */
import type {
  ClientMessage,
  CONTROL_EVENTS as CONTRACT_CONTROL_EVENTS,
  DeliveryPolicy,
  EventName,
  EventPayloads,
  ErrorPayload,
  ResultEnvelope,
  SessionSelector,
  SubscribedPayload,
  UnsubscribedPayload,
  WS_CLOSE as CONTRACT_WS_CLOSE,
  WS_PATH as CONTRACT_WS_PATH,
  WS_SUBPROTOCOL as CONTRACT_WS_SUBPROTOCOL,
} from '@sightline/contracts';

export type {
  ClientMessage,
  DeliveryPolicy,
  ErrorPayload,
  EventName,
  EventPayloads,
  SessionSelector,
  SubscribedPayload,
  UnsubscribedPayload,
};

/** Every result event name; a name added to the contracts fails compilation here until it is listed. */
const EVENT_NAME_SET: Record<EventName, true> = {
  frameAnalyzed: true,
  sessionStarted: true,
  sessionStopped: true,
  sourceError: true,
  sourceReconnecting: true,
  sourceRecovered: true,
  frameTracked: true,
  objectAppeared: true,
  objectLeft: true,
  zoneEntered: true,
  zoneLeft: true,
  lineCrossed: true,
};
export const RESULT_EVENT_NAMES = Object.keys(EVENT_NAME_SET) as readonly EventName[];

export const WS_PATH: typeof CONTRACT_WS_PATH = '/ws/analysis';
export const WS_SUBPROTOCOL: typeof CONTRACT_WS_SUBPROTOCOL = 'json';
export const WS_CLOSE: typeof CONTRACT_WS_CLOSE = {
  tokenExpired: 4001,
  forbidden: 4003,
  slowConsumer: 4008,
  tooManyConnections: 4029,
  serverShutdown: 1001,
};
export const CONTROL_EVENTS: typeof CONTRACT_CONTROL_EVENTS = {
  subscribed: 'subscribed',
  unsubscribed: 'unsubscribed',
  error: 'error',
};
/** Subscribe to every session the token may see. */
export const ALL_SESSIONS = '*';

/**
 * One analysis result as delivered: the envelope of requirements §6.4 `{sessionId, timestamp, event, payload}` plus `seq`, the
 * RESULTS stream sequence (strictly increasing per subscription; the resume point). Discriminated by `event`, so
 * `if (m.event === 'frameAnalyzed') m.payload.detections` type-checks.
 */
export type AnalysisEvent = { [E in keyof EventPayloads]: ResultEnvelope<E> & { seq: number } }[keyof EventPayloads];

interface ControlEnvelope<E extends string, P> {
  /** `*` when the message is not about one session. */
  sessionId: string;
  timestamp: string;
  event: E;
  payload: P;
}

/** Gateway replies to client commands: same envelope shape, no `seq`. */
export type ControlMessage =
  | ControlEnvelope<typeof CONTRACT_CONTROL_EVENTS.subscribed, SubscribedPayload>
  | ControlEnvelope<typeof CONTRACT_CONTROL_EVENTS.unsubscribed, UnsubscribedPayload>
  | ControlEnvelope<typeof CONTRACT_CONTROL_EVENTS.error, ErrorPayload>;

export type ServerMessage = AnalysisEvent | ControlMessage;

export function isAnalysisEvent(message: ServerMessage): message is AnalysisEvent {
  return typeof (message as { seq?: unknown }).seq === 'number';
}
