/** One prom-client registry per process, labelled with the service name, default Node metrics included. */
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(service: string, collectDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (collectDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets (seconds) tuned for a 500 ms budget: fine below 100 ms, coarse above. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5];
