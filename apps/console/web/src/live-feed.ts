/**
 * The console's one WebSocket to the gateway while someone is signed in: every session's results, policy `latest`
 * (a browser that falls behind gets the newest frame, never a backlog; lifecycle events are never skipped). Browsers
 * cannot set headers on a WebSocket, so the token travels as the second offered subprotocol (`['json', token]`),
 * which the gateway accepts and never echoes. Reconnects on the schedule of requirements §6.7 and resumes after the last seq.
 */
import { ReconnectBackoff } from '@sightline/client/backoff';
import {
  ALL_SESSIONS,
  CONTROL_EVENTS,
  isAnalysisEvent,
  WS_CLOSE,
  WS_PATH,
  WS_SUBPROTOCOL,
  type ServerMessage,
} from '@sightline/client/protocol';
import type { ClientMessage } from '@sightline/contracts';
import { SessionActivity } from './session-activity.js';

export type FeedState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A connection that stays up this long resets the reconnect schedule (as the SDK does). */
const STABLE_AFTER_MS = 10_000;

export interface LiveFeedOptions {
  token: string;
  /** The gateway closed the socket because the token expired (close code 4001). */
  onTokenExpired: () => void;
  /** Default: `/ws/analysis` on the page's own origin (ws:// or wss:// to match http/https). */
  url?: string;
}

export class LiveFeed {
  private readonly sessions = new Map<string, SessionActivity>();
  private readonly listeners = new Set<() => void>();
  private readonly backoff = new ReconnectBackoff();
  private socket?: WebSocket;
  private lastSeq?: number;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private stableTimer?: ReturnType<typeof setTimeout>;
  private notifyScheduled = false;
  state: FeedState = 'connecting';
  /** The latest error reply of the gateway (e.g. a refused subscription), for display. */
  lastError?: string;
  nextAttemptAt?: number;

  constructor(private readonly options: LiveFeedOptions) {}

  start(): this {
    this.connect();
    return this;
  }

  close(): void {
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.stableTimer);
    this.socket?.close(1000, 'console closed');
    this.socket = undefined;
    this.listeners.clear();
  }

  activity(sessionId: string): SessionActivity | undefined {
    return this.sessions.get(sessionId);
  }

  /** Change notifications, at most one per animation frame however fast results arrive. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private connect(): void {
    this.state = 'connecting';
    this.notify();
    const socket = new WebSocket(this.options.url ?? defaultUrl(), [WS_SUBPROTOCOL, this.options.token]);
    this.socket = socket;
    socket.onopen = () => {
      this.state = 'open';
      this.lastError = undefined;
      this.stableTimer = setTimeout(() => this.backoff.reset(), STABLE_AFTER_MS);
      const subscribe: ClientMessage = {
        type: 'subscribe',
        sessions: ALL_SESSIONS,
        policy: 'latest',
        ...(this.lastSeq !== undefined && { fromSequence: this.lastSeq }),
      };
      socket.send(JSON.stringify(subscribe));
      this.notify();
    };
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = (event) => {
      if (socket !== this.socket || this.state === 'closed') return;
      clearTimeout(this.stableTimer);
      this.socket = undefined;
      if (event.code === WS_CLOSE.tokenExpired) {
        this.state = 'closed';
        this.options.onTokenExpired();
        return;
      }
      // A refused upgrade (401/403/503) looks like any failed connection to a browser: retry on the schedule.
      const delayMs = this.backoff.next();
      this.state = 'reconnecting';
      this.nextAttemptAt = Date.now() + delayMs;
      this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
      this.notify();
    };
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    if (isAnalysisEvent(message)) {
      if (this.lastSeq !== undefined && message.seq <= this.lastSeq) return;
      this.lastSeq = message.seq;
      let activity = this.sessions.get(message.sessionId);
      if (!activity) this.sessions.set(message.sessionId, (activity = new SessionActivity()));
      activity.record(message);
      this.notify();
    } else if (message.event === CONTROL_EVENTS.error) {
      this.lastError = `${message.payload.code}: ${message.payload.message}`;
      this.notify();
    }
  }

  private notify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    requestAnimationFrame(() => {
      this.notifyScheduled = false;
      for (const listener of this.listeners) listener();
    });
  }
}

function defaultUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
}
