import { describe, expect, it } from 'vitest';
import { HealthRegistry } from './health.js';

describe('HealthRegistry details', () => {
  it('shows details that have something to say, without changing the status', async () => {
    const health = new HealthRegistry('ingest');
    health.register('nats', () => true);
    let warnings: Record<string, unknown> | undefined = undefined;
    health.registerDetail('sessionWarnings', () => warnings);
    expect(await health.report()).not.toHaveProperty('details');
    warnings = { cam1: [{ code: 'NO_RESULTS' }] };
    expect(await health.report()).toMatchObject({ status: 'ok', checks: { nats: { up: true } }, details: { sessionWarnings: warnings } });
  });
});
