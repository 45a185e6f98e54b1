/**
 * AnalysisClient: an agent's connection to the gateway's /ws/analysis.
 *
 * - Authenticates with `Authorization: Bearer <JWT>` (or, for environments that cannot set headers, the token as a
 *   second offered subprotocol) and insists on the `json` subprotocol.
 * - Subscribes to the requested sessions and remembers, per subscription target, the last `seq` it delivered. After
 *   any disconnect it reconnects on the schedule of requirements §6.7 (1 → 2 → 5 → 10 → 20 → 30 → 60 s) and re-subscribes with
 *   `fromSequence` = that cursor, so the application sees every retained result once, in order (results at or below
 *   the cursor are dropped should a server ever resend them).
 * - Treats the server as dead when nothing (ping or message) arrived for 2 × the server's ping interval.
 * - Delivers typed events through `onMessage`, the `message` event, or `for await (const event of client)`; a slow
 *   iterator pauses the socket (TCP back-pressure), which the gateway answers with its delivery policy.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { ReconnectBackoff, RECONNECT_SCHEDULE_MS } from './backoff.js';
import { BoundedAsyncQueue } from './bounded-async-queue.js';
import { AnalysisClientError, ClientErrorCode } from './errors.js';
import { resumePlan, targetsOf } from './resume-plan.js';
import {
  ALL_SESSIONS,
  CONTROL_EVENTS,
  isAnalysisEvent,
  WS_SUBPROTOCOL,
  type AnalysisEvent,
  type ControlMessage,
  type DeliveryPolicy,
  type EventName,
  type ErrorPayload,
  type ServerMessage,
  type SessionSelector,
  type SubscribedPayload,
  type UnsubscribedPayload,
} from './protocol.js';

export interface AnalysisClientOptions {
  /** `ws://host:3004/ws/analysis` (or `wss://` behind TLS termination). */
  url: string;
  /** A fixed access token. When it is refused (401/403) the client stops: use `getToken` to keep going. */
  token?: string;
  /** Called before every connection attempt (e.g. logs in again or refreshes); wins over `token`. */
  getToken?: () => string | Promise<string>;
  /** `header` (default): `Authorization: Bearer`; `subprotocol`: offered as the second subprotocol after `json`. */
  tokenTransport?: 'header' | 'subprotocol';
  /** Session ids, or `'*'` for every session the token may see. */
  sessions: SessionSelector;
  /** `every` (default): each result; `latest`: intermediate frameAnalyzed may be skipped when the agent lags. */
  policy?: DeliveryPolicy;
  /** Only these events (e.g. `['objectAppeared', 'zoneEntered']`); default every event. */
  events?: EventName[];
  /** First connection only: start after this RESULTS sequence (exclusive). Later connections resume by themselves. */
  fromSequence?: number;
  /** First connection only: start at this time (inclusive). Without either, delivery starts with new results. */
  fromTime?: string | Date;
  onMessage?: (event: AnalysisEvent) => void;
  /** The gateway's ping interval (its GATEWAY_PING_INTERVAL_MS); silence for twice this long means a dead server. */
  serverPingIntervalMs?: number;
  /** Reconnect delays; the last one repeats. Default: requirements §6.7's 1, 2, 5, 10, 20, 30, 60 s. */
  reconnectScheduleMs?: readonly number[];
  /** 0 (default) to 1: shortens each delay by up to this fraction, at random. */
  jitterRatio?: number;
  /** A connection that stays up this long resets the reconnect schedule. Default 10 s. */
  stableAfterMs?: number;
  /** Opening handshake timeout. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Events held for a slow async iterator before the socket is paused. Default 1000. */
  maxBufferedEvents?: number;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

export interface AnalysisClientEvents {
  connecting: [{ attempt: number }];
  connected: [{ attempt: number; protocol: string }];
  message: [AnalysisEvent];
  subscribed: [SubscribedPayload];
  unsubscribed: [UnsubscribedPayload];
  /** An `error` reply from the gateway (e.g. a refused command), or INVALID_SERVER_MESSAGE raised locally. */
  serverError: [ErrorPayload];
  /** An attempt failed before the socket opened (refused, unreachable, handshake timeout, …). */
  connectError: [{ error: Error; status?: number; code?: string }];
  disconnected: [{ code: number; reason: string }];
  reconnecting: [{ attempt: number; delayMs: number }];
  /** The client stopped for good: `close()` was called, or the token was refused and there is no `getToken`. */
  closed: [{ error?: AnalysisClientError }];
}

const DEFAULTS = {
  serverPingIntervalMs: 30_000,
  stableAfterMs: 10_000,
  handshakeTimeoutMs: 10_000,
  maxBufferedEvents: 1000,
};
const REFUSAL_BODY_LIMIT = 4096;

export class AnalysisClient extends EventEmitter<AnalysisClientEvents> implements AsyncIterable<AnalysisEvent> {
  private readonly backoff: ReconnectBackoff;
  private readonly cursors = new Map<string, number>();
  private currentState: ClientState = 'idle';
  private socket?: WebSocket;
  private reconnectTimer?: NodeJS.Timeout;
  private stableTimer?: NodeJS.Timeout;
  private livenessTimer?: NodeJS.Timeout;
  private terminalError?: AnalysisClientError;
  private duplicates = 0;
  private iterating = false;
  /** Events for the async iterator; at high water the socket is paused (TCP back-pressure), at low water resumed. */
  private readonly forIterator: BoundedAsyncQueue<AnalysisEvent>;

  constructor(private readonly options: AnalysisClientOptions) {
    super();
    if (!options.token && !options.getToken) throw new AnalysisClientError(ClientErrorCode.configInvalid, 'token or getToken is required');
    if (options.sessions !== ALL_SESSIONS && options.sessions.length === 0) {
      throw new AnalysisClientError(ClientErrorCode.configInvalid, "sessions must name at least one session (or be '*')");
    }
    this.backoff = new ReconnectBackoff(options.reconnectScheduleMs ?? RECONNECT_SCHEDULE_MS, options.jitterRatio ?? 0);
    this.forIterator = new BoundedAsyncQueue({
      highWater: options.maxBufferedEvents ?? DEFAULTS.maxBufferedEvents,
      onHigh: () => this.socket?.pause(),
      onLow: () => this.socket?.resume(),
    });
  }

  get state(): ClientState {
    return this.currentState;
  }

  /** Results dropped because their seq was at or below the cursor (a server resending after a resume). */
  get duplicatesDropped(): number {
    return this.duplicates;
  }

  /** The last delivered seq for a session (or for `'*'` when subscribed to all sessions). */
  lastSequence(target: string = ALL_SESSIONS): number | undefined {
    return this.cursors.get(target);
  }

  /** Connects (idempotent). Reconnects by itself until `close()`. */
  start(): this {
    if (this.currentState === 'idle') void this.connect();
    return this;
  }

  /** Stops reconnecting, closes the socket (code 1000) and ends any iterator. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    const socket = this.socket;
    this.finish();
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => socket.terminate(), 2000);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      socket.close(1000, 'client closing');
    });
  }

  /** Leaving the loop (break/return/throw) closes the client. One iterator at a time. */
  [Symbol.asyncIterator](): AsyncIterator<AnalysisEvent> {
    if (this.iterating) throw new AnalysisClientError(ClientErrorCode.iteratorBusy, 'only one async iterator at a time');
    this.iterating = true;
    this.start();
    return {
      next: () => this.forIterator.next(),
      return: async () => {
        this.iterating = false;
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Connection lifecycle.
  // -------------------------------------------------------------------------------------------------------------

  private async connect(): Promise<void> {
    this.currentState = 'connecting';
    const attempt = this.backoff.attempts + 1;
    this.emit('connecting', { attempt });
    let token: string;
    try {
      token = this.options.getToken ? await this.options.getToken() : this.options.token!;
    } catch (err) {
      this.emit('connectError', { error: asError(err), code: ClientErrorCode.tokenUnavailable });
      this.scheduleReconnect();
      return;
    }
    if (this.currentState !== 'connecting') return; // closed meanwhile
    const viaSubprotocol = this.options.tokenTransport === 'subprotocol';
    const socket = new WebSocket(this.options.url, viaSubprotocol ? [WS_SUBPROTOCOL, token] : [WS_SUBPROTOCOL], {
      headers: viaSubprotocol ? {} : { Authorization: `Bearer ${token}` },
      handshakeTimeout: this.options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
      perMessageDeflate: false,
    });
    this.socket = socket;
    // Set when this client ends the attempt itself, so the follow-up transport error is not reported twice.
    let handled = false;
    socket.on('unexpected-response', (_req, res) => {
      handled = true;
      void this.onRefused(socket, res);
    });
    socket.on('open', () => this.onOpen(socket, attempt));
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('ping', () => this.armLivenessTimer(socket));
    socket.on('error', (error) => {
      if (!handled && socket.readyState !== WebSocket.OPEN && this.currentState !== 'closed') {
        this.emit('connectError', { error });
      }
    });
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
  }

  private onOpen(socket: WebSocket, attempt: number): void {
    if (socket.protocol !== WS_SUBPROTOCOL) {
      this.emit('connectError', {
        error: new AnalysisClientError(
          ClientErrorCode.subprotocolMismatch,
          `server chose subprotocol "${socket.protocol}", expected "json"`,
        ),
      });
      socket.terminate();
      return;
    }
    this.currentState = 'open';
    this.emit('connected', { attempt, protocol: socket.protocol });
    this.stableTimer = setTimeout(() => this.backoff.reset(), this.options.stableAfterMs ?? DEFAULTS.stableAfterMs);
    this.stableTimer.unref?.();
    this.armLivenessTimer(socket);
    for (const command of resumePlan(this.cursors, this.options)) socket.send(JSON.stringify(command));
  }

  /** The gateway answered the upgrade with an HTTP error (401, 403, 503, …): read its `{code, message}` body. */
  private async onRefused(socket: WebSocket, res: IncomingMessage): Promise<void> {
    const status = res.statusCode ?? 0;
    const body = await readBody(res, REFUSAL_BODY_LIMIT);
    let code: string | undefined;
    let detail = '';
    try {
      const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
      if (typeof parsed.code === 'string') code = parsed.code;
      if (typeof parsed.message === 'string') detail = `: ${parsed.message}`;
    } catch {
      // Not our gateway's JSON body (a proxy's HTML page, …): the status says enough.
    }
    const error = new AnalysisClientError(code ?? `HTTP_${status}`, `gateway refused the connection (HTTP ${status})${detail}`, status);
    this.emit('connectError', { error, status, code });
    if ((status === 401 || status === 403) && !this.options.getToken) this.terminalError = error;
    socket.terminate();
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.socket) this.armLivenessTimer(this.socket);
    if (isBinary) return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data.toString()) as ServerMessage;
    } catch {
      this.emit('serverError', { code: ClientErrorCode.invalidServerMessage, message: 'gateway sent a frame that is not JSON' });
      return;
    }
    if (isAnalysisEvent(message)) this.deliver(message);
    else this.onControl(message);
  }

  private onControl(message: ControlMessage): void {
    switch (message.event) {
      case CONTROL_EVENTS.subscribed:
        // A fresh subscription starts after `afterSequence`: that is the resume point until a result arrives.
        if (message.payload.afterSequence !== undefined) {
          for (const target of targetsOf(message.payload.sessions)) {
            if (!this.cursors.has(target)) this.cursors.set(target, message.payload.afterSequence);
          }
        }
        this.emit('subscribed', message.payload);
        break;
      case CONTROL_EVENTS.unsubscribed:
        this.emit('unsubscribed', message.payload);
        break;
      case CONTROL_EVENTS.error:
        this.emit('serverError', message.payload);
        break;
    }
  }

  private deliver(event: AnalysisEvent): void {
    const target = this.options.sessions === ALL_SESSIONS ? ALL_SESSIONS : event.sessionId;
    const cursor = this.cursors.get(target);
    if (cursor !== undefined && event.seq <= cursor) {
      this.duplicates++;
      return;
    }
    this.cursors.set(target, event.seq);
    this.options.onMessage?.(event);
    this.emit('message', event);
    if (this.iterating) void this.forIterator.push(event);
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.clearConnectionTimers();
    this.socket = undefined;
    // The next socket flows until the iterator's buffer reaches high water again.
    this.forIterator.resetCongestion();
    if (this.currentState === 'closed') return;
    if (this.currentState === 'open') this.emit('disconnected', { code, reason });
    if (this.terminalError) {
      this.finish();
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delayMs = this.backoff.next();
    this.currentState = 'waiting';
    this.emit('reconnecting', { attempt: this.backoff.attempts, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delayMs);
  }

  private armLivenessTimer(socket: WebSocket): void {
    clearTimeout(this.livenessTimer);
    const silenceMs = 2 * (this.options.serverPingIntervalMs ?? DEFAULTS.serverPingIntervalMs);
    this.livenessTimer = setTimeout(() => {
      // No ping and no message for two intervals: the server (or the path to it) is gone without a FIN.
      if (socket === this.socket) socket.terminate();
    }, silenceMs);
    this.livenessTimer.unref?.();
  }

  private clearConnectionTimers(): void {
    clearTimeout(this.stableTimer);
    clearTimeout(this.livenessTimer);
    this.stableTimer = undefined;
    this.livenessTimer = undefined;
  }

  /** Enters the final state: no more reconnects, iterators end (with the terminal error, if any). */
  private finish(): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    clearTimeout(this.reconnectTimer);
    this.clearConnectionTimers();
    this.forIterator.end(this.terminalError);
    this.emit('closed', { error: this.terminalError });
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Reads at most `limit` bytes of a response body; gives up after 2 s (the socket is torn down anyway). */
function readBody(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, 2000);
    timer.unref?.();
    res.on('data', (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    });
    res.once('end', done);
    res.once('error', done);
    res.once('aborted', done);
  });
}
