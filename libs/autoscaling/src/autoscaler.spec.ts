import { SightlineError } from '@sightline/contracts';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Autoscaler } from './autoscaler.js';
import { type ScalingBackend } from './backends.js';
import { ScalingPolicy, type LoadSignals } from './policy.js';

function setup(options: { dryRun?: boolean; failScale?: boolean; failSignals?: boolean } = {}) {
  let now = 0;
  const logs: Array<{ message: string; meta?: Record<string, unknown> }> = [];
  const log = (message: string, meta?: Record<string, unknown>) => logs.push({ message, meta });
  const state = { replicas: 1, signals: {} as LoadSignals, scaleCalls: [] as number[] };
  const backend: ScalingBackend = {
    kind: 'test',
    replicas: async () => state.replicas,
    scaleTo: async (n) => {
      state.scaleCalls.push(n);
      if (options.failScale) throw new SightlineError('SCALE_COMMAND_FAILED', 'engine down');
      state.replicas = n;
    },
  };
  const registry = new Registry();
  const policy = new ScalingPolicy(
    {
      minReplicas: 1,
      maxReplicas: 3,
      scaleUpThreshold: 0.8,
      scaleDownThreshold: 0.3,
      lagScaleUpThreshold: 0,
      windowMs: 1000,
      cooldownMs: 5000,
    },
    () => now,
  );
  const autoscaler = new Autoscaler({
    policy,
    backend,
    source: {
      read: async () => {
        if (options.failSignals) throw new Error('prometheus down');
        return state.signals;
      },
    },
    logger: { info: log, warn: log, error: log },
    registry,
    dryRun: options.dryRun,
    intervalMs: 1000,
  });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
  return { autoscaler, state, logs, metric, tick: (ms: number) => (now += ms) };
}

describe('Autoscaler', () => {
  it('carries out a scale-up, logs every decision and exports replicas and decision counts', async () => {
    const { autoscaler, state, logs, metric, tick } = setup();
    state.signals = { utilization: 0.95, utilizationKind: 'busy', reporting: 1 };
    expect((await autoscaler.evaluate())?.action).toBe('hold');
    tick(1000);
    expect((await autoscaler.evaluate())?.action).toBe('scale_up');

    expect(state.scaleCalls).toEqual([2]);
    expect(await metric('sightline_autoscaler_replicas')).toBe(2);
    expect(await metric('sightline_autoscaler_utilization_ratio')).toBe(0.95);
    expect(await metric('sightline_autoscaler_decisions_total', { action: 'hold', dry_run: 'false' })).toBe(1);
    expect(await metric('sightline_autoscaler_decisions_total', { action: 'scale_up', dry_run: 'false' })).toBe(1);
    expect(await metric('sightline_autoscaler_decisions_total', { action: 'scale_down', dry_run: 'false' })).toBe(0);
    const decisions = logs.filter((l) => l.message.startsWith('autoscaler decision'));
    expect(decisions.map((l) => l.meta?.action)).toEqual(['hold', 'scale_up']);
    expect(decisions[1].meta).toMatchObject({ replicas: 1, target: 2, backend: 'test', dryRun: false, signals: state.signals });
  });

  it('in dry-run mode decides and logs but leaves the fleet unchanged, respecting the cool-down', async () => {
    const { autoscaler, state, logs, metric, tick } = setup({ dryRun: true });
    state.signals = { utilization: 0.95 };
    await autoscaler.evaluate();
    tick(1000);
    expect((await autoscaler.evaluate())?.action).toBe('scale_up');
    tick(1000);
    expect((await autoscaler.evaluate())?.reason).toMatch(/saturated for 0 ms/);
    expect(state.scaleCalls).toEqual([]);
    expect(await metric('sightline_autoscaler_replicas')).toBe(1);
    expect(await metric('sightline_autoscaler_target_replicas')).toBe(1);
    expect(await metric('sightline_autoscaler_decisions_total', { action: 'scale_up', dry_run: 'true' })).toBe(1);
    expect(logs.some((l) => l.message === 'autoscaler decision (dry run: fleet left unchanged)')).toBe(true);
  });

  it('counts and logs a failed scale command, keeps going, and does not retry within the cool-down', async () => {
    const { autoscaler, state, logs, metric, tick } = setup({ failScale: true });
    state.signals = { utilization: 0.95 };
    await autoscaler.evaluate();
    tick(1000);
    await autoscaler.evaluate();
    expect(autoscaler.lastError).toMatchObject({ stage: 'scale', code: 'SCALE_COMMAND_FAILED' });
    expect(await metric('sightline_autoscaler_errors_total', { stage: 'scale' })).toBe(1);
    tick(2000);
    expect((await autoscaler.evaluate())?.action).toBe('hold');
    expect(state.scaleCalls).toEqual([2]);
    expect(logs.find((l) => l.message === 'autoscaler evaluation failed')?.meta).toMatchObject({ stage: 'scale', error: 'engine down' });
  });

  it('treats an unreadable signal as no signal: holds, says why, and counts it', async () => {
    const { autoscaler, metric } = setup({ failSignals: true });
    expect(await autoscaler.evaluate()).toMatchObject({ action: 'hold', pressure: 'unknown' });
    expect(autoscaler.lastError).toMatchObject({ stage: 'signals', message: 'prometheus down' });
    expect(await metric('sightline_autoscaler_errors_total', { stage: 'signals' })).toBe(1);
  });

  it('runs the loop until stopped', async () => {
    const { autoscaler, logs } = setup();
    autoscaler.start();
    await new Promise((r) => setTimeout(r, 50));
    await autoscaler.stop();
    const count = logs.length;
    await new Promise((r) => setTimeout(r, 1100));
    expect(logs.filter((l) => l.message === 'autoscaler decision').length).toBeGreaterThanOrEqual(1);
    expect(logs.length).toBe(count);
  });
});
