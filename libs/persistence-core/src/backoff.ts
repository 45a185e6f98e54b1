export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Capped exponential back-off with ±20 % jitter, so replicas retrying after one outage do not move in lockstep. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.min(policy.maxMs, Math.round(base * (0.8 + Math.random() * 0.4)));
}
