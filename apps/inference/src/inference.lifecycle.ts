/**
 * Runs the inference worker for the life of the app: starts it once NATS and the model are ready, and on shutdown
 * stops pulling, finishes the batch in hand (results published, frames acknowledged), then frees the model.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { GpuMonitor, InferenceWorker } from '@sightline/inference-core';
import { NatsClient } from '@sightline/messaging';
import { HealthRegistry, LOGGER, METRICS, type Logger } from '@sightline/observability';
import { Detector } from '@sightline/vision';
import { Registry } from 'prom-client';
import { APP_CONFIG, stopWithin } from '@sightline/service-kit';
import { type InferenceConfig } from './config.js';

@Injectable()
export class InferenceLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: InferenceWorker;
  private gpuMonitor?: GpuMonitor;
  private modelLoaded = true;

  constructor(
    @Inject(APP_CONFIG) private readonly config: InferenceConfig,
    @Inject(NatsClient) private readonly client: NatsClient,
    @Inject(Detector) private readonly detector: Detector,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly registry: Registry,
    @Inject(HealthRegistry) health: HealthRegistry,
  ) {
    health.register('model', () => this.modelLoaded);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { config, registry, logger } = this;
    this.worker = await InferenceWorker.start({
      client: this.client,
      detector: this.detector,
      logger,
      registry,
      maxBatch: config.INFERENCE_MAX_BATCH,
      maxInFlight: config.INFERENCE_MAX_IN_FLIGHT,
      prefetch: config.INFERENCE_PREFETCH,
      lingerMs: config.INFERENCE_LINGER_MS,
      frameDeadlineMs: config.INFERENCE_FRAME_DEADLINE_MS,
      fairShare: { pressureQueueMs: config.INFERENCE_FAIR_SHARE_QUEUE_MS, windowMs: config.INFERENCE_FAIR_SHARE_WINDOW_MS },
    });
    this.gpuMonitor = new GpuMonitor({
      registry,
      logger,
      command: config.NVIDIA_SMI_PATH,
      intervalMs: config.INFERENCE_GPU_POLL_MS,
    });
    await this.gpuMonitor.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.gpuMonitor?.stop();
    const timeoutMs = this.config.SHUTDOWN_TIMEOUT_MS;
    const stopped = await stopWithin(timeoutMs, async () => this.worker?.stop());
    if (!stopped) {
      // Unacknowledged frames are not lost: JetStream redelivers them to another replica after the ack wait.
      this.logger.warn('inference worker did not stop in time; its frames will be redelivered', { timeoutMs });
    }
    this.modelLoaded = false;
    await this.detector.release();
    this.logger.info('inference stopped', { model: this.detector.modelId });
  }
}
