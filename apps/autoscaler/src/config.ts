import { COMPOSE_CLIS, DEFAULT_PROMQL, UTILIZATION_SIGNALS } from '@sightline/autoscaling';
import { baseConfigShape, env, loadConfig } from '@sightline/config';
import { z } from 'zod';

const ratio = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);

/** Environment variables of the autoscaler service (documented in docs/operations.md). */
export const autoscalerConfigShape = {
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  HTTP_PORT: env.port(3006),
  /** Decide and log every decision, but never change the fleet. */
  AUTOSCALER_DRY_RUN: env.bool(false),
  AUTOSCALER_INTERVAL_MS: env.int(15_000, 100),
  /** How long a condition must hold before it is acted on. */
  AUTOSCALER_WINDOW_MS: env.int(60_000, 0),
  /** Minimum time between two scaling actions. */
  AUTOSCALER_COOLDOWN_MS: env.int(180_000, 0),
  AUTOSCALER_SCALE_UP_THRESHOLD: ratio(0.8),
  AUTOSCALER_SCALE_DOWN_THRESHOLD: ratio(0.3),
  /** Frames waiting for inference at or above which the tier is saturated; 0 ignores lag. */
  AUTOSCALER_LAG_SCALE_UP_THRESHOLD: env.int(200, 0),
  AUTOSCALER_MIN_REPLICAS: env.int(1, 0),
  AUTOSCALER_MAX_REPLICAS: env.int(4, 1),
  /** `replicas`: read every inference replica's /metrics; `prometheus`: run PromQL queries. */
  AUTOSCALER_SOURCE: env.oneOf(['replicas', 'prometheus'] as const, 'replicas'),
  /** Replica metrics URLs; a host name expands to every address it resolves to (each compose replica). */
  AUTOSCALER_METRICS_TARGETS: env.list(['http://inference:3002/metrics']),
  /** `gpu`, `busy` (consumer busy ratio, the CPU-only substitute) or `auto` (gpu where reported). */
  AUTOSCALER_UTILIZATION_SIGNAL: env.oneOf(UTILIZATION_SIGNALS, 'auto'),
  AUTOSCALER_SCRAPE_TIMEOUT_MS: env.int(3000, 100),
  AUTOSCALER_PROMETHEUS_URL: env.url('http://prometheus:9090', ['http', 'https']),
  AUTOSCALER_PROMQL_UTILIZATION: env.string(DEFAULT_PROMQL.gpuUtilization),
  AUTOSCALER_PROMQL_LAG: env.string(DEFAULT_PROMQL.lag),
  /** The compose project on the host: its directory (mounted at the same path), name, and the service to scale. */
  AUTOSCALER_COMPOSE_PROJECT_DIR: env.string('/opt/sightline'),
  AUTOSCALER_COMPOSE_PROJECT: env.string('sightline'),
  /** Compose files (`-f`); empty = what the operator's own commands use (COMPOSE_FILE in the project's .env). */
  AUTOSCALER_COMPOSE_FILES: env.list([]),
  AUTOSCALER_COMPOSE_SERVICE: env.string('inference'),
  AUTOSCALER_DOCKER_BIN: env.string('docker'),
  /** `plugin`: `docker compose` (v2); `standalone`: the `docker-compose` executable (v1, e.g. Debian's 1.29). */
  AUTOSCALER_COMPOSE_CLI: env.oneOf(COMPOSE_CLIS, 'plugin'),
  AUTOSCALER_DOCKER_COMPOSE_BIN: env.string('docker-compose'),
};

export type AutoscalerConfig = ReturnType<typeof loadAutoscalerConfig>;
export const loadAutoscalerConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(autoscalerConfigShape, source);
