/**
 * Liveness = the process answers. Readiness = every registered dependency (NATS, PostgreSQL, …) is usable.
 * Checks are cheap synchronous state reads or short async probes; a failing probe never throws out of here.
 */
export type HealthCheck = () => boolean | Promise<boolean>;

export interface HealthReport {
  status: 'ok' | 'degraded';
  service: string;
  uptimeSeconds: number;
  checks: Record<string, { up: boolean; error?: string }>;
  /** Conditions worth a look that do not make the service unready (e.g. ingest sessions with no results). */
  details?: Record<string, unknown>;
}

/** Returns something to show, or undefined when there is nothing to report. */
export type HealthDetail = () => unknown;

export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly details = new Map<string, HealthDetail>();
  private readonly startedAt = Date.now();

  constructor(readonly service: string) {}

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** Shown in the report under `details` when it returns something; never changes the status. */
  registerDetail(name: string, detail: HealthDetail): void {
    this.details.set(name, detail);
  }

  async report(timeoutMs = 2000): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          const up = await Promise.race([
            Promise.resolve(check()),
            new Promise<boolean>((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref()),
          ]);
          return [name, { up }] as const;
        } catch (err) {
          return [name, { up: false, error: (err as Error).message }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const details = Object.fromEntries(
      [...this.details].map(([name, detail]) => [name, detail()]).filter(([, value]) => value !== undefined),
    );
    return {
      status: entries.every(([, c]) => c.up) ? 'ok' : 'degraded',
      service: this.service,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      checks,
      ...(Object.keys(details).length && { details }),
    };
  }
}
