/**
 * Mounts /ws/analysis on Nest's HTTP server. Not a @WebSocketGateway: Nest's WsAdapter upgrades before any async
 * check can answer with an HTTP status, and its dispatcher wants `{event, data}` frames and drops malformed ones
 * silently, where this protocol must answer them. The logic lives in @sightline/delivery; this is the wiring.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AnalysisServer } from '@sightline/delivery';
import { NatsClient } from '@sightline/messaging';
import { LOGGER, METRICS, type Logger } from '@sightline/observability';
import { RevocationList, TokenVerifier } from '@sightline/security';
import { APP_CONFIG } from '@sightline/service-kit';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { type GatewayConfig } from './config.js';

@Injectable()
export class AnalysisEndpoint implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: AnalysisServer;

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(RevocationList) private readonly revocations: RevocationList | null,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly registry: Registry,
    @Inject(APP_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.server = new AnalysisServer({
      nats: this.nats,
      verifier: this.verifier,
      logger: this.logger,
      registry: this.registry,
      maxConnections: this.config.GATEWAY_MAX_CONNECTIONS,
      maxConnectionsPerUser: this.config.GATEWAY_MAX_CONNECTIONS_PER_USER,
      commandsPerMinute: this.config.GATEWAY_COMMANDS_PER_MINUTE,
      maxReplaysPerUser: this.config.GATEWAY_MAX_REPLAYS_PER_USER,
      revocations: this.revocations,
      pingIntervalMs: this.config.GATEWAY_PING_INTERVAL_MS,
      sendBufferBytes: this.config.GATEWAY_SEND_BUFFER_BYTES,
      maxSubscriptions: this.config.GATEWAY_MAX_SUBSCRIPTIONS,
    });
    this.server.attach(this.adapterHost.httpAdapter.getHttpServer() as Server);
  }

  /** Before the HTTP server and the NATS connection go: clients get 1001 and their consumers are deleted. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
