/**
 * The console's one WebSocket to the gateway while someone is signed in: every session's results, policy `latest`
 * (a browser that falls behind gets the newest frame, never a backlog; lifecycle events are never skipped). Browsers
 * cannot set headers on a WebSocket, so the token travels as the second offered subprotocol (`['json', token]`),
 * which the gateway accepts and never echoes. Reconnects on the spec's schedule and resumes after the last seq.
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
import { EVENTS, type AnalysisMessage, type ClientMessage, type Detection, type EventPayloads, type Size } from '@sightline/contracts';
import { RollingSamples } from './stats.js';

export type FeedState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface TimelineEntry {
  seq: number;
  timestamp: string;
  event: string;
  text: string;
  level: 'info' | 'warning' | 'error';
}

export interface LiveFrame {
  seq: number;
  frameSeq: number;
  timestamp: string;
  source: Size;
  detections: Detection[];
  latencyMs: number;
  model: string;
  provider: string;
}

/** The frame drawn with track ids, and the detection index → track id of its frameTracked. */
export interface DisplayedFrame {
  frame: LiveFrame;
  trackIds: ReadonlyMap<number, number>;
}

const LATENCY_WINDOW_MS = 60_000;
/** Recent frames kept to pair with their frameTracked, which the tracker publishes a little after frameAnalyzed. */
const RECENT_FRAMES = 32;
const TIMELINE_LIMIT = 200;
/** A connection that stays up this long resets the reconnect schedule (as the SDK does). */
const STABLE_AFTER_MS = 10_000;

/** What the console knows about one session from the results it received. */
export class SessionActivity {
  latest?: LiveFrame;
  private readonly recent: LiveFrame[] = [];
  private tracked?: { frameSeq: number; trackIds: Map<number, number> };
  readonly latency = new RollingSamples(LATENCY_WINDOW_MS);
  /** Newest first. */
  readonly timeline: TimelineEntry[] = [];
  private detectionCount?: number;

  record(message: AnalysisMessage): void {
    if (message.event === EVENTS.frameAnalyzed) {
      const payload = message.payload as EventPayloads['frameAnalyzed'];
      this.latest = {
        seq: message.seq,
        frameSeq: payload.frameSeq,
        timestamp: message.timestamp,
        source: payload.source,
        detections: payload.detections,
        latencyMs: payload.latency.totalMs,
        model: payload.model,
        provider: payload.provider,
      };
      this.recent.push(this.latest);
      if (this.recent.length > RECENT_FRAMES) this.recent.shift();
      this.latency.add(Date.parse(message.timestamp), payload.latency.totalMs);
      const count = payload.detections.length;
      if (count !== this.detectionCount) {
        this.detectionCount = count;
        this.log(message, 'info', count === 0 ? 'no detections' : `${count} detection${count === 1 ? '' : 's'}`);
      }
      return;
    }
    if (message.event === EVENTS.frameTracked) {
      const payload = message.payload as EventPayloads['frameTracked'];
      this.tracked = { frameSeq: payload.frameSeq, trackIds: new Map(payload.tracks.map((t) => [t.detection, t.trackId])) };
      return;
    }
    const described = describeLifecycle(message);
    this.log(message, described.level, described.text);
  }

  /**
   * The newest frame whose track ids are known, while it is among the recent ones (a tracker adds a few frames of
   * delay); else the newest frame, without ids (no tracker running, or it fell behind).
   */
  displayed(): DisplayedFrame | undefined {
    const tracked = this.tracked;
    const frame = tracked && this.recent.find((f) => f.frameSeq === tracked.frameSeq);
    if (frame && tracked) return { frame, trackIds: tracked.trackIds };
    return this.latest && { frame: this.latest, trackIds: new Map() };
  }

  private log(message: AnalysisMessage, level: TimelineEntry['level'], text: string): void {
    this.timeline.unshift({ seq: message.seq, timestamp: message.timestamp, event: message.event, text, level });
    this.timeline.length = Math.min(this.timeline.length, TIMELINE_LIMIT);
  }
}

function describeLifecycle(message: AnalysisMessage): Pick<TimelineEntry, 'level' | 'text'> {
  switch (message.event) {
    case EVENTS.sessionStarted: {
      const p = message.payload as EventPayloads['sessionStarted'];
      return { level: 'info', text: `started: ${p.source.type} ${p.source.url}` };
    }
    case EVENTS.sessionStopped: {
      const p = message.payload as EventPayloads['sessionStopped'];
      return { level: 'info', text: `stopped (${p.reason}): ${p.framesPublished} frames published, ${p.framesDropped} dropped` };
    }
    case EVENTS.sourceError: {
      const p = message.payload as EventPayloads['sourceError'];
      return { level: p.fatal ? 'error' : 'warning', text: `${p.fatal ? 'fatal ' : ''}source error ${p.code}: ${p.message}` };
    }
    case EVENTS.sourceReconnecting: {
      const p = message.payload as EventPayloads['sourceReconnecting'];
      return { level: 'warning', text: `reconnecting (attempt ${p.attempt}, in ${(p.delayMs / 1000).toFixed(1)} s): ${p.reason}` };
    }
    case EVENTS.sourceRecovered: {
      const p = message.payload as EventPayloads['sourceRecovered'];
      return { level: 'info', text: `recovered after ${p.attempts} attempt(s), ${(p.downtimeMs / 1000).toFixed(1)} s down` };
    }
    case EVENTS.objectAppeared: {
      const p = message.payload as EventPayloads['objectAppeared'];
      return { level: 'info', text: `#${p.trackId} ${p.label} appeared` };
    }
    case EVENTS.objectLeft: {
      const p = message.payload as EventPayloads['objectLeft'];
      return { level: 'info', text: `#${p.trackId} ${p.label} left after ${(p.dwellMs / 1000).toFixed(1)} s` };
    }
    case EVENTS.zoneEntered:
    case EVENTS.zoneLeft: {
      const p = message.payload as EventPayloads['zoneEntered'];
      return { level: 'info', text: `#${p.trackId} ${p.label} ${message.event === EVENTS.zoneEntered ? 'entered' : 'left'} zone ${p.zoneId}` };
    }
    case EVENTS.lineCrossed: {
      const p = message.payload as EventPayloads['lineCrossed'];
      return { level: 'info', text: `#${p.trackId} ${p.label} crossed line ${p.lineId} (${p.direction})` };
    }
    default:
      return { level: 'info', text: message.event };
  }
}

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
