/**
 * Runs the tracking worker for the life of the app. Zones come from PostgreSQL; while it is unreachable a session
 * keeps the zones it had (none if it had none yet: objects still appear and leave) until a refresh succeeds.
 */
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type SessionZones } from '@sightline/contracts';
import { findSessionZones } from '@sightline/db';
import { NatsClient } from '@sightline/messaging';
import { LOGGER, METRICS, type Logger } from '@sightline/observability';
import { TrackingWorker } from '@sightline/tracker-core';
import { DEFAULT_TRACKER_OPTIONS } from '@sightline/tracking';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '@sightline/service-kit';
import { type TrackerConfig } from './config.js';

const NO_ZONES: SessionZones = { zones: [], lines: [] };

@Injectable()
export class TrackerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private worker?: TrackingWorker;

  constructor(
    @Inject(APP_CONFIG) private readonly config: TrackerConfig,
    @Inject(NatsClient) private readonly client: NatsClient,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly registry: Registry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config } = this;
    this.worker = await TrackingWorker.start({
      client: this.client,
      logger: this.logger,
      registry: this.registry,
      zonesFor: (sessionId) => this.zonesFor(sessionId),
      tracker: {
        ...DEFAULT_TRACKER_OPTIONS,
        maxLostFrames: config.TRACKER_MAX_LOST_FRAMES,
        highScore: config.TRACKER_HIGH_SCORE,
        lowScore: config.TRACKER_LOW_SCORE,
        newTrackScore: config.TRACKER_NEW_TRACK_SCORE,
      },
      reorder: { maxFrames: config.TRACKER_REORDER_MAX_FRAMES, maxWaitMs: config.TRACKER_REORDER_MAX_WAIT_MS },
      idleMs: config.TRACKER_IDLE_MS,
      zonesRefreshMs: config.TRACKER_ZONES_REFRESH_MS,
      stateTtlMs: config.TRACKER_STATE_TTL_MS,
      maxInFlight: config.TRACKER_MAX_IN_FLIGHT,
      partition: config.TRACKER_PARTITION,
      partitions: config.TRACKER_PARTITIONS,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
    this.logger.info('tracker stopped');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** Throws while PostgreSQL is unreachable; the worker then keeps the zones it has. */
  private async zonesFor(sessionId: string): Promise<SessionZones> {
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    return (await findSessionZones(this.dataSource, sessionId)) ?? NO_ZONES;
  }
}
