/** Codes of the errors this library raises (logged with each failed evaluation; AUTOSCALER_FAILED when none). */
import { type ErrorCodeOf } from '@sightline/contracts';

export const AutoscalingErrorCode = {
  /** Prometheus did not answer. */
  prometheusUnavailable: 'PROMETHEUS_UNAVAILABLE',
  /** Prometheus answered with an error for the query. */
  prometheusQueryFailed: 'PROMETHEUS_QUERY_FAILED',
  /** Scaling policy options that contradict each other or are out of range. */
  policyInvalid: 'AUTOSCALER_POLICY_INVALID',
  /** A replica count the backend cannot set. */
  invalidReplicas: 'AUTOSCALER_INVALID_REPLICAS',
  /** `docker compose` failed. */
  scaleCommandFailed: 'SCALE_COMMAND_FAILED',
  /** `docker compose ps` output that cannot be read. */
  scaleCommandOutputInvalid: 'SCALE_COMMAND_OUTPUT_INVALID',
  /** An evaluation failed without a code of its own. */
  autoscalerFailed: 'AUTOSCALER_FAILED',
} as const;
export type AutoscalingErrorCode = ErrorCodeOf<typeof AutoscalingErrorCode>;
