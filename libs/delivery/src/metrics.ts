/** Gateway metrics (names start with `sightline_gateway_`); see docs/websocket.md for what each one answers. */
import { DELIVERY_POLICIES } from '@sightline/contracts';
import { LATENCY_BUCKETS } from '@sightline/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const DISCONNECT_REASONS = [
  'client',
  'pong_timeout',
  'slow_consumer',
  'token_expired',
  'token_revoked',
  'shutdown',
  'error',
] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];
export const AUTH_FAILURE_REASONS = [
  'missing',
  'invalid',
  'expired',
  'keys_unavailable',
  'forbidden',
  'revoked',
  'token_in_query',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** Per-client bytes held for sending (own queue + socket buffer): 1 KiB … 64 MiB. */
const BUFFER_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536].map((kib) => kib * 1024);

export class GatewayMetrics {
  readonly clients: Gauge;
  readonly messagesSent: Counter<'event'>;
  readonly bytesSent: Counter;
  readonly sendBuffer: Histogram;
  readonly dropped: Counter<'policy'>;
  readonly disconnects: Counter<'reason'>;
  readonly refusedUpgrades: Counter<'code'>;
  readonly authFailures: Counter<'reason'>;
  readonly deliveryLatency: Histogram;
  readonly clientMessages: Counter<'outcome'>;
  readonly invalidResults: Counter;
  readonly subscriptions: Gauge;

  /** @param bufferedBytes current bytes held per connected client, read at scrape time. */
  constructor(registry: Registry, bufferedBytes: () => Iterable<number>) {
    const registers = [registry];
    this.clients = new Gauge({ name: 'sightline_gateway_clients', help: 'Connected WebSocket clients', registers });
    this.subscriptions = new Gauge({
      name: 'sightline_gateway_subscriptions',
      help: 'Active subscriptions (one JetStream ordered consumer each)',
      registers,
    });
    this.messagesSent = new Counter({
      name: 'sightline_gateway_messages_sent_total',
      help: 'Messages handed to client sockets, by event (rate() = messages/s)',
      labelNames: ['event'],
      registers,
    });
    this.bytesSent = new Counter({ name: 'sightline_gateway_sent_bytes_total', help: 'Bytes handed to client sockets', registers });
    this.sendBuffer = new Histogram({
      name: 'sightline_gateway_send_buffer_bytes',
      help: 'Bytes held for one client (own queue + socket buffer), sampled at every enqueued message',
      buckets: BUFFER_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'sightline_gateway_send_buffered_bytes',
      help: 'Bytes currently held for all clients, and for the fullest one',
      labelNames: ['scope'],
      registers,
      collect() {
        let total = 0;
        let max = 0;
        for (const bytes of bufferedBytes()) {
          total += bytes;
          max = Math.max(max, bytes);
        }
        this.set({ scope: 'total' }, total);
        this.set({ scope: 'max_client' }, max);
      },
    });
    this.dropped = new Counter({
      name: 'sightline_gateway_dropped_messages_total',
      help: 'Messages not sent: latest = superseded frameAnalyzed skipped; every = queue discarded when a slow client was closed',
      labelNames: ['policy'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'sightline_gateway_disconnects_total',
      help: 'Closed client connections by reason',
      labelNames: ['reason'],
      registers,
    });
    this.refusedUpgrades = new Counter({
      name: 'sightline_gateway_refused_upgrades_total',
      help: 'WebSocket upgrades refused before the socket opened, by error code',
      labelNames: ['code'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'sightline_gateway_auth_failures_total',
      help: 'Upgrades refused for authentication/authorisation, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'sightline_gateway_delivery_latency_seconds',
      help: 'frameAnalyzed capture time (payload.captureTime) to handed to the client socket',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.clientMessages = new Counter({
      name: 'sightline_gateway_client_messages_total',
      help: 'Client commands by outcome (ok, invalid, rate_limited)',
      labelNames: ['outcome'],
      registers,
    });
    this.invalidResults = new Counter({
      name: 'sightline_gateway_invalid_results_total',
      help: 'RESULTS stream messages skipped because they fail the envelope schema',
      registers,
    });
    // Every known label value exists from the start (at 0), so rate() and alerts see a series before the first event.
    for (const policy of DELIVERY_POLICIES) this.dropped.inc({ policy }, 0);
    for (const reason of DISCONNECT_REASONS) this.disconnects.inc({ reason }, 0);
    for (const reason of AUTH_FAILURE_REASONS) this.authFailures.inc({ reason }, 0);
  }
}
