export { AnalysisClient, type AnalysisClientEvents, type AnalysisClientOptions, type ClientState } from './analysis-client.js';
export { AnalysisClientError, ClientErrorCode, type AnalysisClientErrorCode } from './errors.js';
export { RECONNECT_SCHEDULE_MS, ReconnectBackoff } from './backoff.js';
export { loginWithPassword, passwordTokenSource, type IssuedToken, type PasswordLogin } from './login.js';
export { parseWatchArgs, runWatch, UsageError, WATCH_USAGE, type WatchCommand, type WatchOutput } from './watch.js';
export {
  ALL_SESSIONS,
  CONTROL_EVENTS,
  isAnalysisEvent,
  WS_CLOSE,
  WS_PATH,
  WS_SUBPROTOCOL,
  type AnalysisEvent,
  type ClientMessage,
  type ControlMessage,
  type DeliveryPolicy,
  type ErrorPayload,
  type EventPayloads,
  type ServerMessage,
  type SessionSelector,
  type SubscribedPayload,
  type UnsubscribedPayload,
} from './protocol.js';
