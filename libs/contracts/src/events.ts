/** Event names carried in the `event` field of the WebSocket/stream envelope (VARCHAR(32) in PostgreSQL). */
export const EVENTS = {
  frameAnalyzed: 'frameAnalyzed',
  sessionStarted: 'sessionStarted',
  sessionStopped: 'sessionStopped',
  sourceError: 'sourceError',
  sourceReconnecting: 'sourceReconnecting',
  sourceRecovered: 'sourceRecovered',
  // Published by the tracker (object level): who appeared, where, for how long.
  frameTracked: 'frameTracked',
  objectAppeared: 'objectAppeared',
  objectLeft: 'objectLeft',
  zoneEntered: 'zoneEntered',
  zoneLeft: 'zoneLeft',
  lineCrossed: 'lineCrossed',
} as const;
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];
export const EVENT_NAMES = Object.values(EVENTS) as [EventName, ...EventName[]];

/** The events the tracker publishes. */
export const TRACKING_EVENTS = [
  EVENTS.frameTracked,
  EVENTS.objectAppeared,
  EVENTS.objectLeft,
  EVENTS.zoneEntered,
  EVENTS.zoneLeft,
  EVENTS.lineCrossed,
] as const;

/**
 * Lifecycle and object-level events are never skipped by "latest" delivery policies; only frameAnalyzed may be
 * (frameTracked is not: the latest policy keeps one pending frame per session, and it must stay the frameAnalyzed).
 */
export function isSkippableEvent(event: string): boolean {
  return event === EVENTS.frameAnalyzed;
}
