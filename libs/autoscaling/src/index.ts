export { ScalingPolicy, type ScalingDecision, type ScalingPolicyOptions } from './policy.js';
export {
  DEFAULT_PROMQL,
  PrometheusSource,
  ReplicaMetricsSource,
  UTILIZATION_SIGNALS,
  resolveMetricsTargets,
  type SignalSource,
} from './signals.js';
export { COMPOSE_CLIS, ComposeBackend, type ScalingBackend } from './backends.js';
// The autoscaler's status endpoint returns the policy options and the failed stage.
export { Autoscaler, type EvaluationStage } from './autoscaler.js';
