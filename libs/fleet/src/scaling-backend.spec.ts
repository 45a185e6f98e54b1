import { describe, expect, it } from 'vitest';
import { LocalFleetBackend, type ScalableFleet } from './scaling-backend.js';

describe('LocalFleetBackend', () => {
  it('starts replicas up to the target and stops the newest first', async () => {
    const services: Array<{ name: 'inference'; instance: number; port: number; up: boolean }> = [];
    const fleet = {
      running: () => services.filter((s) => s.up),
      startService: async (name: 'inference') => {
        const service = { name, instance: services.length, port: 4000 + services.length, up: true };
        services.push(service);
        return service;
      },
      stopService: async (service: { up: boolean }) => {
        service.up = false;
      },
    } as unknown as ScalableFleet;
    const backend = new LocalFleetBackend(fleet);

    await backend.scaleTo(3);
    expect(await backend.replicas()).toBe(3);
    expect(await backend.metricsTargets()).toEqual([
      'http://127.0.0.1:4000/metrics',
      'http://127.0.0.1:4001/metrics',
      'http://127.0.0.1:4002/metrics',
    ]);
    await backend.scaleTo(1);
    expect(services.map((s) => s.up)).toEqual([true, false, false]);
  });
});
