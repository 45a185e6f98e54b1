import { describe, expect, it } from 'vitest';
import { ScalingPolicy, type LoadSignals, type ScalingPolicyOptions } from './policy.js';

const OPTIONS: ScalingPolicyOptions = {
  minReplicas: 1,
  maxReplicas: 3,
  scaleUpThreshold: 0.8,
  scaleDownThreshold: 0.3,
  lagScaleUpThreshold: 200,
  windowMs: 60_000,
  cooldownMs: 120_000,
};

/** A policy on a fake clock, and a helper that advances the clock and decides. */
function harness(options: Partial<ScalingPolicyOptions> = {}) {
  let now = 1_000_000;
  const policy = new ScalingPolicy({ ...OPTIONS, ...options }, () => now);
  return {
    policy,
    advance: (ms: number) => (now += ms),
    decideAfter: (ms: number, signals: LoadSignals, replicas: number) => {
      now += ms;
      return policy.decide(signals, replicas);
    },
  };
}

const busy = (utilization: number, lag = 0): LoadSignals => ({ utilization, lag, utilizationKind: 'gpu', reporting: 1 });

describe('ScalingPolicy', () => {
  it('scales up by one only after utilisation stayed above the threshold for the whole window', () => {
    const { decideAfter } = harness();
    expect(decideAfter(0, busy(0.9), 1)).toMatchObject({ action: 'hold', pressure: 'saturated', target: 1 });
    expect(decideAfter(30_000, busy(0.95), 1).reason).toBe('saturated for 30000 ms of the 60000 ms window');
    expect(decideAfter(29_999, busy(0.85), 1).action).toBe('hold');
    expect(decideAfter(1, busy(0.85), 1)).toMatchObject({ action: 'scale_up', replicas: 1, target: 2 });
  });

  it('restarts the window when utilisation dips below the threshold, even briefly', () => {
    const { decideAfter } = harness();
    decideAfter(0, busy(0.9), 1);
    decideAfter(50_000, busy(0.9), 1);
    expect(decideAfter(5_000, busy(0.8), 1)).toMatchObject({ action: 'hold', pressure: 'normal' }); // 0.8 is not above 0.8
    expect(decideAfter(5_000, busy(0.9), 1).action).toBe('hold');
    expect(decideAfter(59_999, busy(0.9), 1).action).toBe('hold');
    expect(decideAfter(1, busy(0.9), 1).action).toBe('scale_up');
  });

  it('treats a missing signal as an interruption, never as load or idleness', () => {
    const { decideAfter } = harness();
    decideAfter(0, busy(0.9), 2);
    expect(decideAfter(40_000, {}, 2)).toMatchObject({ action: 'hold', pressure: 'unknown' });
    expect(decideAfter(40_000, busy(0.9), 2).action).toBe('hold');
    decideAfter(0, busy(0.1), 2);
    expect(decideAfter(70_000, { reporting: 0 }, 2).action).toBe('hold');
    expect(decideAfter(10_000, busy(0.1), 2).action).toBe('hold');
  });

  it('scales up on sustained consumer lag even when utilisation looks moderate', () => {
    const { decideAfter } = harness();
    expect(decideAfter(0, busy(0.5, 250), 1).pressure).toBe('saturated');
    expect(decideAfter(60_000, busy(0.5, 400), 1)).toMatchObject({ action: 'scale_up', target: 2 });
  });

  it('ignores lag when its threshold is 0', () => {
    const { policy } = harness({ lagScaleUpThreshold: 0 });
    expect(policy.classify(busy(0.5, 10_000))).toBe('normal');
    expect(policy.classify({ lag: 10_000 })).toBe('normal');
  });

  it('does not call the tier idle while frames are piling up', () => {
    const { policy } = harness();
    expect(policy.classify(busy(0.1, 0))).toBe('idle');
    expect(policy.classify(busy(0.1, 500))).toBe('saturated');
    expect(policy.classify({ lag: 0 })).toBe('normal');
  });

  it('waits for the cool-down after an action, then needs a fresh window', () => {
    const { policy, decideAfter } = harness({ windowMs: 10_000, cooldownMs: 60_000 });
    decideAfter(0, busy(0.9), 1);
    const up = decideAfter(10_000, busy(0.9), 1);
    expect(up.action).toBe('scale_up');
    policy.acted(up.at);

    expect(decideAfter(5_000, busy(0.95), 2).reason).toBe('saturated for 0 ms of the 10000 ms window');
    expect(decideAfter(10_000, busy(0.95), 2).reason).toBe('saturated, cooling down for 45000 ms more');
    expect(decideAfter(44_999, busy(0.95), 2).action).toBe('hold');
    expect(decideAfter(1, busy(0.95), 2)).toMatchObject({ action: 'scale_up', replicas: 2, target: 3 });
  });

  it('scales down by one after the idle window and cool-down, never below the minimum', () => {
    const { policy, decideAfter } = harness({ windowMs: 10_000, cooldownMs: 30_000 });
    decideAfter(0, busy(0.1), 3);
    const first = decideAfter(10_000, busy(0.05), 3);
    expect(first).toMatchObject({ action: 'scale_down', replicas: 3, target: 2, pressure: 'idle' });
    policy.acted(first.at);
    decideAfter(0, busy(0.1), 2);
    expect(decideAfter(10_000, busy(0.1), 2).reason).toBe('idle, cooling down for 20000 ms more');
    const second = decideAfter(20_000, busy(0.1), 2);
    expect(second).toMatchObject({ action: 'scale_down', target: 1 });
    policy.acted(second.at);
    decideAfter(0, busy(0), 1);
    expect(decideAfter(100_000, busy(0), 1)).toMatchObject({ action: 'hold', reason: 'idle, but already at the minimum of 1' });
  });

  it('never scales above the maximum', () => {
    const { decideAfter } = harness({ maxReplicas: 2 });
    decideAfter(0, busy(1), 2);
    expect(decideAfter(600_000, busy(1), 2)).toMatchObject({ action: 'hold', reason: 'saturated, but already at the maximum of 2' });
  });

  it('holds in the band between the thresholds', () => {
    const { decideAfter } = harness();
    decideAfter(0, busy(0.5), 2);
    expect(decideAfter(600_000, busy(0.5), 2)).toMatchObject({ action: 'hold', pressure: 'normal', reason: 'load within the thresholds' });
  });

  it('brings a fleet outside [min, max] back at once, without waiting for a window or cool-down', () => {
    const { policy, decideAfter } = harness({ minReplicas: 2, maxReplicas: 4 });
    policy.acted();
    expect(decideAfter(0, {}, 0)).toMatchObject({ action: 'scale_up', target: 2, reason: 'below the minimum of 2' });
    expect(decideAfter(0, busy(0.1), 6)).toMatchObject({ action: 'scale_down', target: 4, reason: 'above the maximum of 4' });
  });

  it('rejects inconsistent options with a coded error', () => {
    expect(() => new ScalingPolicy({ ...OPTIONS, scaleDownThreshold: 0.9 })).toThrow(/thresholds must satisfy/);
    expect(() => new ScalingPolicy({ ...OPTIONS, minReplicas: 3, maxReplicas: 2 })).toThrow(
      expect.objectContaining({ code: 'AUTOSCALER_POLICY_INVALID' }),
    );
  });
});
