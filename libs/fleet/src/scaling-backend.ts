/** The autoscaler's scaling backend for the local fleet: inference replicas as processes, each on its own port. */
import { type ScalingBackend } from '@sightline/autoscaling';
import { type LocalFleet, type RunningService } from './fleet.js';
import { httpUrl, type ServiceName } from './services.js';

/** The slice of the local fleet the backend uses. */
export type ScalableFleet = Pick<LocalFleet, 'running' | 'startService' | 'stopService'>;

/** Starts and stops replicas of one service of a local fleet (each a process on its own port). */
export class LocalFleetBackend implements ScalingBackend {
  readonly kind = 'local';

  constructor(
    private readonly fleet: ScalableFleet,
    private readonly service: ServiceName = 'inference',
    /** Extra environment for the replicas it starts. */
    private readonly env: Record<string, string> = {},
  ) {}

  async replicas(): Promise<number> {
    return this.fleet.running(this.service).length;
  }

  async scaleTo(replicas: number): Promise<void> {
    while (this.fleet.running(this.service).length < replicas) await this.fleet.startService(this.service, this.env);
    // The newest replicas go first: instance 0 keeps the service's documented port.
    let running: RunningService[];
    while ((running = this.fleet.running(this.service)).length > replicas) {
      const newest = running.reduce((a, b) => (b.instance > a.instance ? b : a));
      await this.fleet.stopService(newest);
    }
  }

  /** `/metrics` URLs of the running replicas, for a ReplicaMetricsSource. */
  async metricsTargets(): Promise<string[]> {
    return this.fleet.running(this.service).map((s) => `${httpUrl(s.port)}/metrics`);
  }
}
