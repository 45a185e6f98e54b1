import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  Autoscaler,
  ComposeBackend,
  PrometheusSource,
  ReplicaMetricsSource,
  ScalingPolicy,
  resolveMetricsTargets,
  type SignalSource,
} from '@sightline/autoscaling';
import { HealthRegistry, LOGGER, METRICS, type Logger } from '@sightline/observability';
import type { Registry } from 'prom-client';
import { APP_CONFIG } from '@sightline/service-kit';
import { type AutoscalerConfig } from './config.js';

/** Builds the control loop from the configuration and runs it for the lifetime of the app. */
@Injectable()
export class AutoscalerService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly autoscaler: Autoscaler;

  constructor(
    @Inject(APP_CONFIG) readonly config: AutoscalerConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(METRICS) registry: Registry,
    health: HealthRegistry,
  ) {
    this.autoscaler = new Autoscaler({
      policy: new ScalingPolicy({
        minReplicas: config.AUTOSCALER_MIN_REPLICAS,
        maxReplicas: config.AUTOSCALER_MAX_REPLICAS,
        scaleUpThreshold: config.AUTOSCALER_SCALE_UP_THRESHOLD,
        scaleDownThreshold: config.AUTOSCALER_SCALE_DOWN_THRESHOLD,
        lagScaleUpThreshold: config.AUTOSCALER_LAG_SCALE_UP_THRESHOLD,
        windowMs: config.AUTOSCALER_WINDOW_MS,
        cooldownMs: config.AUTOSCALER_COOLDOWN_MS,
      }),
      source: signalSource(config),
      backend: new ComposeBackend({
        projectDirectory: config.AUTOSCALER_COMPOSE_PROJECT_DIR,
        projectName: config.AUTOSCALER_COMPOSE_PROJECT,
        files: config.AUTOSCALER_COMPOSE_FILES,
        service: config.AUTOSCALER_COMPOSE_SERVICE,
        docker: config.AUTOSCALER_DOCKER_BIN,
        cli: config.AUTOSCALER_COMPOSE_CLI,
        dockerCompose: config.AUTOSCALER_DOCKER_COMPOSE_BIN,
      }),
      logger,
      registry,
      dryRun: config.AUTOSCALER_DRY_RUN,
      intervalMs: config.AUTOSCALER_INTERVAL_MS,
    });
    // Ready while the fleet can be read and, unless dry-run, changed.
    health.register('compose', () => {
      const stage = this.autoscaler.lastError?.stage;
      return stage !== 'replicas' && stage !== 'scale';
    });
  }

  onApplicationBootstrap(): void {
    this.autoscaler.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.autoscaler.stop();
  }
}

function signalSource(config: AutoscalerConfig): SignalSource {
  if (config.AUTOSCALER_SOURCE === 'prometheus') {
    return new PrometheusSource({
      url: config.AUTOSCALER_PROMETHEUS_URL,
      utilizationQuery: config.AUTOSCALER_PROMQL_UTILIZATION,
      lagQuery: config.AUTOSCALER_PROMQL_LAG,
      timeoutMs: config.AUTOSCALER_SCRAPE_TIMEOUT_MS,
    });
  }
  return new ReplicaMetricsSource({
    targets: () => resolveMetricsTargets(config.AUTOSCALER_METRICS_TARGETS),
    utilization: config.AUTOSCALER_UTILIZATION_SIGNAL,
    timeoutMs: config.AUTOSCALER_SCRAPE_TIMEOUT_MS,
  });
}
