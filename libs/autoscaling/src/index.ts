export {
  SCALING_ACTIONS,
  ScalingPolicy,
  type LoadPressure,
  type LoadSignals,
  type ScalingAction,
  type ScalingDecision,
  type ScalingPolicyOptions,
} from './policy.js';
export {
  CONSUMER_HANDLE_SECONDS_SUM,
  CONSUMER_LAG_METRIC,
  DEFAULT_PROMQL,
  GPU_UTILIZATION_METRIC,
  PrometheusSource,
  ReplicaMetricsSource,
  UTILIZATION_SIGNALS,
  resolveMetricsTargets,
  type PrometheusSourceOptions,
  type ReplicaMetricsSourceOptions,
  type SignalSource,
  type UtilizationSignal,
} from './signals.js';
export {
  COMPOSE_CLIS,
  ComposeBackend,
  countRunningContainers,
  type ComposeBackendOptions,
  type ComposeCli,
  type ScalingBackend,
} from './backends.js';
export { Autoscaler, type AutoscalerLogger, type AutoscalerOptions, type EvaluationStage } from './autoscaler.js';
