export { LocalFleet, REPO_ROOT, type FleetOptions, type RunningService } from './fleet.js';
export { runDemo, type DemoOptions } from './demo.js';
export { DEFAULT_PORTS, SERVICE_NAMES, httpUrl, serviceEnvironment, type FleetEndpoints, type ServiceName } from './services.js';
