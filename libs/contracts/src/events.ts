/** Event names carried in the `event` field of the WebSocket/stream envelope (VARCHAR(32) in PostgreSQL). */
export const EVENTS = {
  frameAnalyzed: 'frameAnalyzed',
  sessionStarted: 'sessionStarted',
  sessionStopped: 'sessionStopped',
  sourceError: 'sourceError',
  sourceReconnecting: 'sourceReconnecting',
  sourceRecovered: 'sourceRecovered',
} as const;
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];
export const EVENT_NAMES = Object.values(EVENTS) as [EventName, ...EventName[]];

/** Lifecycle events are never skipped by "latest" delivery policies; only frameAnalyzed may be. */
export function isSkippableEvent(event: string): boolean {
  return event === EVENTS.frameAnalyzed;
}
