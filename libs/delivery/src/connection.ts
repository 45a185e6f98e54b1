/**
 * One agent's WebSocket after a successful upgrade: its commands, its subscriptions (one ordered consumer each), its
 * bounded send queue, keep-alive state and token expiry. Nothing a client sends can throw out of here: a bad command
 * gets an `error` reply (rate-limited), a failure to subscribe gets an `error` reply, the socket stays up.
 *
 * Back-pressure, per subscription policy:
 * - `every`, live (at the stream head): results are queued for the client; when the bytes held for it pass the limit
 *   it is closed with 4008 and resumes from its last seq. A replay (started from a past sequence or time) reads the
 *   stream only as fast as the client drains, so catching up never trips the limit — JetStream holds the backlog.
 * - `latest`: a newer frameAnalyzed of a session supersedes the one still queued; other events are never skipped.
 */
import {
  ALL_SESSIONS,
  canSeeSession,
  CONTROL_EVENTS,
  clientMessageSchema,
  isSkippableEvent,
  parseJson,
  SightlineError,
  WS_CLOSE,
  WsCommandErrorCode,
  type ErrorPayload,
  type LoggerPort,
  type Principal,
  type SubscribedPayload,
  type UnsubscribedPayload,
} from '@sightline/contracts';
import { type NatsClient } from '@sightline/messaging';
import { TokenBucket } from '@sightline/service-kit';
import { type JsMsg } from 'nats';
import { type WebSocket } from 'ws';
import { type z } from 'zod';
import { type DisconnectReason, type GatewayMetrics } from './metrics.js';
import { type ReplayBudget } from './replay-budget.js';
import { type ResultDecoder } from './result-decoder.js';
import { ResultSubscription, type StartPosition } from './result-subscription.js';
import { BoundedSendQueue, type OutgoingMessage } from './send-queue.js';
import { SubscriptionSet, type ActiveSubscription, type DeliveryState, type SubscribeCommand } from './subscription-set.js';

type ClientCommand = z.output<typeof clientMessageSchema>;

export interface ConnectionSettings {
  /** Bytes held for one client (queue + socket buffer) before it is closed as a slow consumer. */
  sendBufferBytes: number;
  maxSubscriptions: number;
  /** Commands a client may send per minute (burst of the same size); beyond, they are refused with RATE_LIMITED. */
  commandsPerMinute?: number;
  /**
   * A client that has sent no command this long after connecting gets every session it may see, from the moment it
   * connected (spec-only clients send nothing). A client that sends a command first never gets this subscription.
   */
  defaultSubscriptionDelayMs?: number;
}

export const DEFAULT_COMMANDS_PER_MINUTE = 30;
export const DEFAULT_SUBSCRIPTION_DELAY_MS = 1000;
/** Commands accepted but not yet run (subscribe waits for NATS); beyond, TOO_MANY_PENDING_COMMANDS. */
export const MAX_PENDING_COMMANDS = 4;

export interface ConnectionDeps {
  nats: NatsClient;
  decoder: ResultDecoder;
  logger: LoggerPort;
  metrics: GatewayMetrics;
  settings: ConnectionSettings;
  /** Shared by the user's connections: how many replays may run at once. */
  replays?: ReplayBudget;
  /**
   * The RESULTS stream's last sequence when the upgrade was accepted: the default subscription starts after it, so a
   * result published right after the socket opened is not missed. Unknown (NATS unreachable): from when it starts.
   */
  connectedAfterSequence?: number;
  onClosed: (connection: AnalysisConnection) => void;
}

/** Error replies: a burst of 10, then one per second; beyond that malformed input is dropped silently. */
const ERROR_REPLY_BURST = 10;
const ERROR_REPLIES_PER_MINUTE = 60;
/** After a close frame, how long a client gets to complete the closing handshake before the socket is destroyed. */
const CLOSE_GRACE_MS = 5000;
/** setTimeout's ceiling (~24.8 days); longer token lifetimes are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

let nextConnectionId = 1;

export class AnalysisConnection {
  readonly id = `c${nextConnectionId++}`;
  private readonly subscriptions: SubscriptionSet;
  private readonly queue: BoundedSendQueue;
  private commands: Promise<void> = Promise.resolve();
  private pendingCommands = 0;
  private readonly commandBucket: TokenBucket;
  private defaultSubscription?: NodeJS.Timeout;
  private awaitingPong = false;
  private closing = false;
  private disconnectReason: DisconnectReason = 'client';
  private expiryTimer?: NodeJS.Timeout;
  private readonly errorReplies = new TokenBucket(ERROR_REPLIES_PER_MINUTE, Date.now(), ERROR_REPLY_BURST);
  private markClosed!: () => void;
  /** Resolves once the socket is closed and the connection's resources are released. */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(
    private readonly socket: WebSocket,
    readonly principal: Principal,
    private readonly deps: ConnectionDeps,
  ) {
    this.queue = new BoundedSendQueue(
      {
        get bufferedAmount() {
          return socket.bufferedAmount;
        },
        send: (data, done) => socket.send(data, done),
      },
      deps.settings.sendBufferBytes,
      {
        onSent: (m) => this.recordSent(m),
        onReplaced: () => deps.metrics.dropped.inc({ policy: 'latest' }),
      },
    );
    socket.on('message', (data, isBinary) => this.onClientFrame(data, isBinary));
    socket.on('pong', () => (this.awaitingPong = false));
    socket.on('error', (err) => {
      if (!this.closing) this.disconnectReason = 'error';
      deps.logger.warn('websocket error', { connectionId: this.id, error: err.message });
    });
    socket.on('close', (code) => this.onSocketClosed(code));
    this.subscriptions = new SubscriptionSet({
      principal,
      maxSubscriptions: deps.settings.maxSubscriptions,
      replays: deps.replays,
      open: (target, start) => ResultSubscription.open(deps.nats, target, start),
      gauge: deps.metrics.subscriptions,
    });
    this.commandBucket = new TokenBucket(this.commandsPerMinute);
    this.armExpiry();
    this.armDefaultSubscription();
  }

  private get commandsPerMinute(): number {
    return this.deps.settings.commandsPerMinute ?? DEFAULT_COMMANDS_PER_MINUTE;
  }

  /**
   * Push by default: unless a command arrives first, every session the principal may see is delivered once the delay
   * is over, from the stream position of the moment the socket opened (nothing published meanwhile is lost).
   */
  private armDefaultSubscription(): void {
    const afterSequence = this.deps.connectedAfterSequence;
    this.defaultSubscription = setTimeout(() => {
      this.defaultSubscription = undefined;
      this.enqueue(async () => {
        if (this.closing) return;
        await this.execute({
          type: 'subscribe',
          sessions: ALL_SESSIONS,
          policy: 'every',
          ...(afterSequence !== undefined && { fromSequence: afterSequence }),
        });
      });
    }, this.deps.settings.defaultSubscriptionDelayMs ?? DEFAULT_SUBSCRIPTION_DELAY_MS);
    this.defaultSubscription.unref();
  }

  /** The token was revoked after this socket opened: closes it with 4001 (the client logs in again and reconnects). */
  revoke(): void {
    this.close(WS_CLOSE.tokenExpired, 'token revoked: log in again', 'token_revoked');
  }

  /** Bytes held for this client right now. */
  get bufferedBytes(): number {
    return this.queue.bufferedBytes;
  }

  /** Called every ping interval: a client that did not answer the previous ping is terminated. */
  heartbeat(): void {
    if (this.closing) return;
    if (this.awaitingPong) {
      this.deps.logger.info('client missed a pong, terminating', { connectionId: this.id, username: this.principal.username });
      this.disconnectReason = 'pong_timeout';
      this.stopDelivery();
      this.socket.terminate();
      return;
    }
    this.awaitingPong = true;
    this.socket.ping();
  }

  /** Stops delivery at once and sends a close frame; the socket is destroyed if the client does not complete it. */
  close(code: number, reason: string, why: DisconnectReason): void {
    if (this.closing) return;
    this.disconnectReason = why;
    const discarded = this.stopDelivery();
    if (why === 'slow_consumer' && discarded > 0) this.deps.metrics.dropped.inc({ policy: 'every' }, discarded);
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Drops the socket without a closing handshake (shutdown grace over). */
  terminate(): void {
    this.stopDelivery();
    this.socket.terminate();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Client commands.
  // -------------------------------------------------------------------------------------------------------------

  private onClientFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closing) return;
    if (isBinary) {
      this.rejectCommand(new SightlineError(WsCommandErrorCode.binaryNotSupported, 'send commands as JSON text frames'));
      return;
    }
    let command: ClientCommand;
    try {
      command = parseJson(clientMessageSchema, data as Buffer, 'client message');
    } catch (err) {
      this.rejectCommand(err as SightlineError);
      return;
    }
    // The client speaks the protocol: no default subscription.
    clearTimeout(this.defaultSubscription);
    this.defaultSubscription = undefined;
    if (this.commandBucket.refill() < 1) {
      this.rejectCommand(
        new SightlineError(WsCommandErrorCode.rateLimited, `at most ${this.commandsPerMinute} commands per minute`, { type: command.type }),
      );
      return;
    }
    if (this.pendingCommands >= MAX_PENDING_COMMANDS) {
      this.rejectCommand(
        new SightlineError(
          WsCommandErrorCode.tooManyPendingCommands,
          `at most ${MAX_PENDING_COMMANDS} commands may wait; wait for the replies`,
          { type: command.type },
        ),
      );
      return;
    }
    this.commandBucket.take();
    this.deps.metrics.clientMessages.inc({ outcome: 'ok' });
    this.enqueue(() => this.execute(command));
  }

  /** Commands run one after another, in arrival order (subscribe is async: it creates consumers). */
  private enqueue(run: () => Promise<void>): void {
    this.pendingCommands += 1;
    this.commands = this.commands.then(run).finally(() => (this.pendingCommands -= 1));
  }

  private async execute(command: ClientCommand): Promise<void> {
    try {
      if (command.type === 'subscribe') await this.subscribe(command);
      else await this.unsubscribe(command.sessions);
    } catch (err) {
      const error =
        err instanceof SightlineError
          ? err
          : new SightlineError(WsCommandErrorCode.subscribeFailed, 'could not start delivery', {}, { cause: err });
      this.deps.logger.warn('client command failed', {
        connectionId: this.id,
        code: error.code,
        error: error.message,
        cause: (error.cause as Error | undefined)?.message,
        context: error.context,
      });
      this.sendControl(CONTROL_EVENTS.error, errorPayload(error));
    }
  }

  private async subscribe(command: SubscribeCommand): Promise<void> {
    const plan = this.subscriptions.plan(command);
    const start: StartPosition =
      command.fromSequence !== undefined
        ? { afterSequence: command.fromSequence }
        : command.fromTime !== undefined
          ? { fromTime: command.fromTime }
          : { afterSequence: await ResultSubscription.lastSequence(this.deps.nats) };
    const opened = await this.subscriptions.open(plan, command, start, () => this.closing);
    if (!opened) return;
    const reply: SubscribedPayload = {
      sessions: plan.all ? ALL_SESSIONS : plan.targets,
      policy: command.policy,
      ...(command.events && { events: [...new Set(command.events)] }),
      ...('afterSequence' in start ? { afterSequence: start.afterSequence } : { fromTime: start.fromTime }),
    };
    // The reply goes out before any result: consumers have been pulling, but nothing is handed out before `run`.
    this.sendControl(CONTROL_EVENTS.subscribed, reply);
    opened.forEach((active) => this.runSubscription(active));
    this.deps.logger.info('subscribed', { connectionId: this.id, username: this.principal.username, ...reply });
  }

  private async unsubscribe(sessions: string[] | typeof ALL_SESSIONS): Promise<void> {
    const targets = this.subscriptions.unsubscribeTargets(sessions);
    await Promise.all(targets.map((target) => this.subscriptions.stop(target)));
    const reply: UnsubscribedPayload = { sessions };
    this.sendControl(CONTROL_EVENTS.unsubscribed, reply);
  }

  private rejectCommand(error: SightlineError): void {
    if (!this.errorReplies.tryTake()) {
      this.deps.metrics.clientMessages.inc({ outcome: 'rate_limited' });
      return;
    }
    this.deps.metrics.clientMessages.inc({ outcome: 'invalid' });
    this.sendControl(CONTROL_EVENTS.error, errorPayload(error));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Delivery.
  // -------------------------------------------------------------------------------------------------------------

  private runSubscription(active: ActiveSubscription): void {
    const { target } = active;
    active.subscription
      .run((msg) => this.onResult(active.state, msg))
      .catch((err: Error) => {
        if (this.closing || !this.subscriptions.isCurrent(active)) return;
        this.deps.logger.warn('subscription stopped', { connectionId: this.id, target, error: err.message });
        void this.subscriptions.stop(target);
        this.sendControl(CONTROL_EVENTS.error, {
          code: WsCommandErrorCode.deliveryStopped,
          message: 'delivery stopped; subscribe again',
          context: { sessions: [target] },
        });
      });
  }

  private onResult(state: DeliveryState, msg: JsMsg): void | Promise<void> {
    this.deliver(state, msg);
    if (!state.replaying) return;
    if (msg.info.pending === 0) {
      state.replaying = false;
      this.subscriptions.releaseReplaySlot(state);
    } else if (state.policy === 'every' && this.queue.congested) return this.queue.drained();
  }

  private deliver(state: DeliveryState, msg: JsMsg): void {
    if (this.closing) return;
    const result = this.deps.decoder.decode(msg);
    if (!result) return;
    // '*' reads every session's results; a principal limited to some sessions gets only those.
    if (!canSeeSession(this.principal, result.sessionId)) return;
    if (state.events && !state.events.has(result.event)) return;
    const outcome = this.queue.offer({
      data: result.data,
      bytes: result.bytes,
      event: result.event,
      replaceKey: state.policy === 'latest' && isSkippableEvent(result.event) ? result.sessionId : undefined,
      captureTimeMs: result.captureTimeMs,
    });
    this.deps.metrics.sendBuffer.observe(this.queue.bufferedBytes);
    if (outcome === 'overflow') {
      this.deps.logger.warn('slow consumer: send buffer full, closing', {
        connectionId: this.id,
        username: this.principal.username,
        bufferedBytes: this.queue.bufferedBytes,
        limitBytes: this.queue.limitBytes,
      });
      this.close(WS_CLOSE.slowConsumer, 'send buffer full: reconnect and resume from your last seq', 'slow_consumer');
    }
  }

  private sendControl(event: string, payload: SubscribedPayload | UnsubscribedPayload | ErrorPayload): void {
    if (this.closing) return;
    const data = JSON.stringify({ sessionId: ALL_SESSIONS, timestamp: new Date().toISOString(), event, payload });
    if (this.queue.offer({ data, bytes: Buffer.byteLength(data), event }) === 'overflow') {
      this.close(WS_CLOSE.slowConsumer, 'send buffer full: reconnect and resume from your last seq', 'slow_consumer');
    }
  }

  private recordSent(message: OutgoingMessage): void {
    this.deps.metrics.messagesSent.inc({ event: message.event });
    this.deps.metrics.bytesSent.inc(message.bytes);
    if (message.captureTimeMs !== undefined && Number.isFinite(message.captureTimeMs)) {
      this.deps.metrics.deliveryLatency.observe(Math.max(0, Date.now() - message.captureTimeMs) / 1000);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Lifecycle.
  // -------------------------------------------------------------------------------------------------------------

  /** Closes the socket with tokenExpired when the token's `exp` passes (re-armed for lifetimes beyond a timer's range). */
  private armExpiry(): void {
    const remainingMs = this.principal.expiresAt * 1000 - Date.now();
    if (remainingMs <= 0) {
      this.close(WS_CLOSE.tokenExpired, 'token expired: reconnect with a fresh token', 'token_expired');
      return;
    }
    this.expiryTimer = setTimeout(() => this.armExpiry(), Math.min(remainingMs, MAX_TIMER_MS));
    this.expiryTimer.unref();
  }

  /** Stops consumers and the queue (idempotent); returns how many queued messages were discarded. */
  private stopDelivery(): number {
    if (this.closing) return 0;
    this.closing = true;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.defaultSubscription);
    const discarded = this.queue.stop();
    const targets = this.subscriptions.targets;
    // Consumers are closed in the background; a failure here only leaves an ephemeral consumer to expire on its own.
    void Promise.all(targets.map((t) => this.subscriptions.stop(t))).catch((err: Error) =>
      this.deps.logger.warn('closing subscriptions failed', { connectionId: this.id, error: err.message }),
    );
    return discarded;
  }

  private onSocketClosed(code: number): void {
    this.stopDelivery();
    this.deps.metrics.disconnects.inc({ reason: this.disconnectReason });
    this.deps.logger.info('client disconnected', {
      connectionId: this.id,
      username: this.principal.username,
      code,
      reason: this.disconnectReason,
    });
    this.deps.onClosed(this);
    this.markClosed();
  }
}

function errorPayload(error: SightlineError): ErrorPayload {
  return { code: error.code, message: error.message, ...(Object.keys(error.context).length ? { context: error.context } : {}) };
}
