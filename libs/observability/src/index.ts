export { createLogger, NestJsonLogger, type Logger } from './logger.js';
export { createMetricsRegistry, LATENCY_BUCKETS } from './metrics.js';
export { HealthRegistry, type HealthCheck, type HealthDetail, type HealthReport } from './health.js';
export { LOGGER, METRICS, ObservabilityModule, type ObservabilityOptions } from './observability.module.js';
export { parsePrometheusText, selectSamples, sumSamples, type MetricSample } from './prometheus-text.js';
