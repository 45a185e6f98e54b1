/**
 * Nest integration: one NatsClient per app (connected and streams provisioned before the app starts listening),
 * a JetStreamPublisher, the `nats` readiness check, and a drain on shutdown.
 * Nest's built-in NATS transport speaks core NATS only; JetStream consumers are PullWorkers started by services.
 */
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { HealthRegistry, LOGGER, type Logger } from '@sightline/observability';
import { NatsClient } from './connection.js';
import { JetStreamPublisher } from './publisher.js';
import { keepStreamsProvisioned } from './provisioning.js';
import { awaitStreams, type StreamLimits } from './streams.js';

export interface MessagingModuleOptions {
  url: string;
  /** Connection name, e.g. the service name. */
  name: string;
  limits?: StreamLimits;
  /**
   * This service's NATS identity. A service identity may not create streams: it waits until the provisioning identity
   * (or a deploy step) has created them. Without one (tests, unauthenticated servers) the service provisions them.
   */
  user?: string;
  password?: string;
  /** The CA that signed nats-server's certificate (NATS_TLS_CA_FILE): TLS only, verified against it. */
  tlsCaFile?: string;
}

class NatsShutdown implements OnApplicationShutdown {
  constructor(@Inject(NatsClient) private readonly client: NatsClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.drain();
  }
}

/** The NATS variables of every service's configuration (@sightline/config's baseConfigShape). */
export interface NatsEnvironment {
  NATS_URL: string;
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_TLS_CA_FILE?: string;
}

@Module({})
export class MessagingModule {
  /** A service's connection as its configuration says: URL, identity and TLS. */
  static forService(name: string, config: NatsEnvironment): DynamicModule {
    return MessagingModule.forRoot({
      url: config.NATS_URL,
      name,
      user: config.NATS_USER,
      password: config.NATS_PASSWORD,
      tlsCaFile: config.NATS_TLS_CA_FILE,
    });
  }

  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        {
          provide: NatsClient,
          inject: [LOGGER, HealthRegistry],
          useFactory: async (logger: Logger, health: HealthRegistry) => {
            const { url, user, password, tlsCaFile } = options;
            const client = await NatsClient.connect({
              url,
              user,
              password,
              ...(tlsCaFile !== undefined && { tls: { caFile: tlsCaFile } }),
              name: `${options.name}:${process.pid}`,
              logger,
            });
            if (user && user !== 'provisioner') {
              // A service identity may not create streams: the provisioning identity does, also after a NATS restart.
              await awaitStreams(client.manager);
              logger.info('jetstream streams present', { user });
            } else {
              const outcomes = await keepStreamsProvisioned(client, logger, options.limits);
              logger.info('jetstream streams provisioned', { outcomes });
            }
            health.register('nats', () => client.isConnected());
            return client;
          },
        },
        { provide: JetStreamPublisher, inject: [NatsClient], useFactory: (client: NatsClient) => new JetStreamPublisher(client) },
        NatsShutdown,
      ],
      exports: [NatsClient, JetStreamPublisher],
    };
  }
}
