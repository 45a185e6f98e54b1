export { INFRA_NAMES, LocalFleet, REPO_ROOT, type FleetOptions, type RunningService } from './fleet.js';
export { runDemo, type DemoOptions } from './demo.js';
export { DEFAULT_PORTS, SERVICE_NAMES, httpUrl, mediaDir, serviceEnvironment, type FleetEndpoints, type ServiceName } from './services.js';
export { FleetStartError, acquireDataDirLock, assertPortsFree, type DataDirLock } from './preflight.js';
export {
  DEFAULT_LIVENESS,
  DEFAULT_RESTART_POLICY,
  RestartPolicy,
  Supervisor,
  describeSupervisorEvent,
  type LivenessOptions,
  type LivenessProbe,
  type RestartDecision,
  type RestartPolicyOptions,
  type SupervisedProcess,
  type SupervisorClock,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor.js';
export { LocalFleetBackend, type ScalableFleet } from './scaling-backend.js';
