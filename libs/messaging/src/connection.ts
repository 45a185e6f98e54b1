/**
 * One NATS connection per process: reconnects forever with jittered back-off, tracks its own up/down state for
 * readiness probes, and drains (finishes in-flight deliveries, flushes publishes) on shutdown.
 */
import { SightlineError, type LoggerPort } from '@sightline/contracts';
import { readFileSync } from 'node:fs';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { inboxPrefix } from './identities.js';
import { MessagingErrorCode } from './errors.js';

/** The slice of the logger port (@sightline/contracts) the messaging lib calls. */
export type MessagingLogger = Pick<LoggerPort, 'info' | 'warn' | 'error'>;

export interface NatsClientOptions {
  /** One URL or a comma-separated list (cluster seeds). */
  url: string;
  /** Connection name shown in the server's monitoring (service name + pid). */
  name: string;
  logger: MessagingLogger;
  /** Give up the *first* connect after this long (later disconnects are retried forever). */
  connectTimeoutMs?: number;
  /** This service's NATS identity (see identities.ts); replies then arrive on the identity's own inbox prefix. */
  user?: string;
  password?: string;
  /**
   * TLS: the CA file that signed the server's certificate. Given, the client speaks TLS only, verifies the server
   * against this CA alone, and refuses a server that offers no TLS; absent, it connects as the server asks.
   */
  tls?: { caFile: string };
}

export class NatsClient {
  private connected = true;
  private readonly reconnectListeners = new Set<() => void>();

  private constructor(
    readonly connection: NatsConnection,
    readonly jetstream: JetStreamClient,
    readonly manager: JetStreamManager,
    private readonly logger: MessagingLogger,
  ) {
    void this.watchStatus();
  }

  static async connect(options: NatsClientOptions): Promise<NatsClient> {
    const servers = options.url.split(',').map((s) => s.trim());
    const ca = options.tls && readCaFile(options.tls.caFile);
    const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
    for (let attempt = 1; ; attempt++) {
      try {
        const nc = await connect({
          servers,
          name: options.name,
          ...(options.user && { user: options.user, pass: options.password, inboxPrefix: inboxPrefix(options.user) }),
          ...(ca !== undefined && { tls: { ca } }),
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1000,
          reconnectJitter: 500,
          pingInterval: 10_000,
          maxPingOut: 3,
        });
        const manager = await nc.jetstreamManager({ timeout: 10_000 });
        options.logger.info('nats connected', { server: nc.getServer(), attempt });
        return new NatsClient(nc, nc.jetstream({ timeout: 10_000 }), manager, options.logger);
      } catch (err) {
        if (Date.now() > deadline) {
          throw new SightlineError(
            MessagingErrorCode.natsUnavailable,
            `cannot connect to NATS at ${servers.join(',')}`,
            { attempt },
            {
              cause: err,
            },
          );
        }
        options.logger.warn('nats not reachable yet, retrying', { attempt, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  }

  /** Calls `listener` after every reconnect (e.g. to provision again what a restarted server lost); returns an unsubscribe. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** True while the connection is established (false during reconnects). */
  isConnected(): boolean {
    return this.connected && !this.connection.isClosed();
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.logger.warn('nats disconnected', { server: String(status.data) });
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.info('nats reconnected', { server: String(status.data) });
        for (const listener of this.reconnectListeners) listener();
      } else if (status.type === 'error') {
        this.logger.error('nats error', { error: String(status.data) });
      }
    }
  }

  /** Stops subscriptions after delivering what is in flight, flushes, closes. */
  async drain(): Promise<void> {
    if (this.connection.isClosed()) return;
    try {
      await this.connection.drain();
    } catch (err) {
      this.logger.warn('nats drain failed, closing', { error: (err as Error).message });
      await this.connection.close();
    }
  }
}

/** Read once at start: a missing CA stops the service with a code instead of a retry loop that cannot succeed. */
function readCaFile(caFile: string): string {
  try {
    return readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new SightlineError(MessagingErrorCode.natsTlsCaMissing, `NATS TLS CA file ${caFile} cannot be read`, { caFile }, { cause: err });
  }
}
