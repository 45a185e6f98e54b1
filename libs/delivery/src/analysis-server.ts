/**
 * The /ws/analysis endpoint on an existing HTTP server (Nest's): a `ws` server in noServer mode behind our own
 * `upgrade` listener, so authentication, subprotocol and capacity are decided on the raw request and refused with an
 * HTTP status before any WebSocket opens. It also owns the keep-alive timer and closes every client on shutdown.
 */
import { ALL_ROLES, WS_CLOSE, WS_PATH, WS_SUBPROTOCOL, WsUpgradeRefusalCode as Code, type LoggerPort } from '@sightline/contracts';
import { type NatsClient } from '@sightline/messaging';
import { type RevocationList, type TokenVerifier } from '@sightline/security';
import { type IncomingMessage, type Server } from 'node:http';
import { type Duplex } from 'node:stream';
import { type Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { AnalysisConnection, type ConnectionSettings } from './connection.js';
import { GatewayMetrics } from './metrics.js';
import { ReplayBudget } from './replay-budget.js';
import { ResultDecoder } from './result-decoder.js';
import { ResultSubscription } from './result-subscription.js';
import { authorizeUpgrade, refuse, writeRefusal, type UpgradeRefusal } from './upgrade.js';

export interface AnalysisServerOptions extends ConnectionSettings {
  nats: NatsClient;
  verifier: TokenVerifier;
  logger: LoggerPort;
  registry: Registry;
  maxConnections: number;
  /** Open sockets per user; beyond → HTTP 429 TOO_MANY_USER_CONNECTIONS (one user cannot take every slot). */
  maxConnectionsPerUser?: number;
  /** Replays (subscriptions from a past sequence/time, until they reach the head) per user at once. */
  maxReplaysPerUser?: number;
  pingIntervalMs: number;
  /** Revoked tokens: refused at the upgrade (by the verifier) and their open sockets closed with 4001. */
  revocations?: RevocationList | null;
  /** Roles allowed to connect; default agent, operator, admin. */
  allowedRoles?: readonly string[];
  /** Largest client → server frame; commands are tiny. */
  maxClientMessageBytes?: number;
}

/** How long shutdown waits for clients to complete the closing handshake before terminating them. */
const SHUTDOWN_GRACE_MS = 2000;
export const DEFAULT_MAX_CONNECTIONS_PER_USER = 4;
export const DEFAULT_MAX_REPLAYS_PER_USER = 64;

export class AnalysisServer {
  readonly metrics: GatewayMetrics;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<AnalysisConnection>();
  private readonly decoder: ResultDecoder;
  private readonly replays: ReplayBudget;
  private readonly heartbeat: NodeJS.Timeout;
  private httpServer?: Server;
  private shuttingDown = false;
  private readonly stopRevocations?: () => void;
  private readonly upgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(request, socket, head);

  constructor(private readonly options: AnalysisServerOptions) {
    this.metrics = new GatewayMetrics(options.registry, () => [...this.connections].map((c) => c.bufferedBytes));
    this.replays = new ReplayBudget(options.maxReplaysPerUser ?? DEFAULT_MAX_REPLAYS_PER_USER);
    this.decoder = new ResultDecoder((msg, error) => {
      this.metrics.invalidResults.inc();
      options.logger.warn('skipping a result that fails the envelope schema', { subject: msg.subject, seq: msg.seq, error: error.message });
    });
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxClientMessageBytes ?? 64 * 1024,
      // The upgrade is only handed over once `json` was found among the offered protocols; echo only that one
      // (never the token a browser offered as a second protocol).
      handleProtocols: () => WS_SUBPROTOCOL,
    });
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) connection.heartbeat();
    }, options.pingIntervalMs);
    this.heartbeat.unref();
    const revocations = options.revocations;
    if (revocations) {
      this.stopRevocations = revocations.onChange(() => {
        for (const connection of this.connections) {
          if (!revocations.isRevoked(connection.principal)) continue;
          options.logger.info('token revoked, closing', { connectionId: connection.id, userId: connection.principal.userId });
          connection.revoke();
        }
      });
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  attach(httpServer: Server): void {
    this.httpServer = httpServer;
    httpServer.on('upgrade', this.upgradeListener);
  }

  /** Refuses new upgrades, closes every client with 1001 (they reconnect elsewhere or later), frees consumers. */
  async close(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.heartbeat);
    this.stopRevocations?.();
    this.httpServer?.off('upgrade', this.upgradeListener);
    const closed = [...this.connections].map((connection) => connection.closed);
    for (const connection of this.connections) connection.close(WS_CLOSE.serverShutdown, 'server shutting down', 'shutdown');
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))]);
    for (const connection of this.connections) connection.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until `ws` owns the socket, a reset from the client must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    if (new URL(request.url ?? '/', 'http://gateway').pathname !== WS_PATH) {
      return this.refuse(socket, refuse(404, Code.notFound, `the WebSocket endpoint is ${WS_PATH}`).refusal);
    }
    if (this.shuttingDown) return this.refuse(socket, refuse(503, Code.shuttingDown, 'gateway is shutting down').refusal);
    const decision = await authorizeUpgrade(request, this.options.verifier, this.options.allowedRoles ?? ALL_ROLES);
    if ('refusal' in decision) return this.refuse(socket, decision.refusal);
    // Where "from now on" begins for the default subscription; taken before the socket opens.
    const connectedAfterSequence = await ResultSubscription.lastSequence(this.options.nats).catch(() => undefined);
    // No await between this check and handleUpgrade (which completes synchronously): the limit cannot be overshot.
    if (this.connections.size >= this.options.maxConnections) {
      return this.refuse(
        socket,
        refuse(503, Code.tooManyConnections, `the gateway serves at most ${this.options.maxConnections} connections`).refusal,
      );
    }
    const perUser = this.options.maxConnectionsPerUser ?? DEFAULT_MAX_CONNECTIONS_PER_USER;
    if ([...this.connections].filter((c) => c.principal.userId === decision.principal.userId).length >= perUser) {
      return this.refuse(socket, refuse(429, Code.tooManyUserConnections, `at most ${perUser} connections per user`).refusal);
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, decision.principal, connectedAfterSequence));
  }

  private accept(
    ws: WebSocket,
    request: IncomingMessage,
    principal: AnalysisConnection['principal'],
    connectedAfterSequence?: number,
  ): void {
    const { nats, logger, sendBufferBytes, maxSubscriptions, commandsPerMinute, defaultSubscriptionDelayMs } = this.options;
    const connection = new AnalysisConnection(ws, principal, {
      nats,
      decoder: this.decoder,
      logger,
      metrics: this.metrics,
      settings: { sendBufferBytes, maxSubscriptions, commandsPerMinute, defaultSubscriptionDelayMs },
      replays: this.replays,
      connectedAfterSequence,
      onClosed: (c) => {
        this.connections.delete(c);
        this.metrics.clients.set(this.connections.size);
      },
    });
    this.connections.add(connection);
    this.metrics.clients.set(this.connections.size);
    logger.info('client connected', {
      connectionId: connection.id,
      userId: principal.userId,
      username: principal.username,
      roles: principal.roles,
      remoteAddress: request.socket.remoteAddress,
    });
    // Revoked while the upgrade was under way (after the verifier's check, before this socket was listed).
    if (this.options.revocations?.isRevoked(principal)) connection.revoke();
  }

  private refuse(socket: Duplex, refusal: UpgradeRefusal): void {
    this.metrics.refusedUpgrades.inc({ code: refusal.code });
    if (refusal.authFailure) this.metrics.authFailures.inc({ reason: refusal.authFailure });
    this.options.logger.info('websocket upgrade refused', { status: refusal.status, code: refusal.code });
    writeRefusal(socket, refusal);
  }
}
