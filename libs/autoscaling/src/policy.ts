/**
 * The scaling decision, free of I/O so it can be tested with a fake clock.
 *
 * The inference tier is *saturated* when utilisation is above the scale-up threshold (or the consumer lag is at or
 * above its threshold), and *idle* when utilisation is below the scale-down threshold with no lag pressure. Only a
 * condition that held without interruption for the whole window leads to an action, one replica at a time, never
 * within the cool-down after the previous action, and always within [min, max]. A missing signal (no replica
 * answered) interrupts both conditions: the autoscaler never acts on data it does not have.
 */
import { SightlineError } from '@sightline/contracts';
import { AutoscalingErrorCode } from './errors.js';

export interface ScalingPolicyOptions {
  minReplicas: number;
  maxReplicas: number;
  /** Utilisation (0..1) above which the tier is saturated. */
  scaleUpThreshold: number;
  /** Utilisation (0..1) below which the tier is idle. */
  scaleDownThreshold: number;
  /** Frames waiting for the inference consumer at or above which the tier is saturated; 0 ignores lag. */
  lagScaleUpThreshold: number;
  /** How long a condition must hold, uninterrupted, before it is acted on. */
  windowMs: number;
  /** Minimum time from one scaling action to the next. */
  cooldownMs: number;
}

/** What the tier looks like now; a field is absent when no replica reported it. */
export interface LoadSignals {
  /** Mean utilisation over the replicas that reported it, 0..1. */
  utilization?: number;
  /** Which measurement `utilization` is: `gpu` (nvidia-smi) or `busy` (share of time the consumer was handling frames). */
  utilizationKind?: string;
  /** Frames in FRAMES not yet delivered to the inference consumer. */
  lag?: number;
  /** Replicas whose metrics were read. */
  reporting?: number;
}

export type ScalingAction = 'scale_up' | 'scale_down' | 'hold';
export const SCALING_ACTIONS: readonly ScalingAction[] = ['scale_up', 'scale_down', 'hold'];

export type LoadPressure = 'saturated' | 'idle' | 'normal' | 'unknown';

export interface ScalingDecision {
  /** Clock time of the decision (epoch ms). */
  at: number;
  action: ScalingAction;
  /** Replicas running when the decision was made. */
  replicas: number;
  /** Replicas wanted after it (equal to `replicas` for `hold`). */
  target: number;
  pressure: LoadPressure;
  reason: string;
  signals: LoadSignals;
}

export class ScalingPolicy {
  private saturatedSince?: number;
  private idleSince?: number;
  private lastActionAt?: number;

  constructor(
    readonly options: ScalingPolicyOptions,
    private readonly now: () => number = Date.now,
  ) {
    validateOptions(options);
  }

  decide(signals: LoadSignals, replicas: number): ScalingDecision {
    const at = this.now();
    const pressure = this.classify(signals);
    this.track(pressure, at);
    const { minReplicas, maxReplicas, windowMs } = this.options;
    const decision = (action: ScalingAction, target: number, reason: string): ScalingDecision => ({
      at,
      action,
      replicas,
      target,
      pressure,
      reason,
      signals,
    });

    // Bounds first: a fleet outside [min, max] (operator action, crashed replica) is corrected at once.
    if (replicas < minReplicas) return decision('scale_up', minReplicas, `below the minimum of ${minReplicas}`);
    if (replicas > maxReplicas) return decision('scale_down', maxReplicas, `above the maximum of ${maxReplicas}`);

    switch (pressure) {
      case 'unknown':
        return decision('hold', replicas, 'no utilisation or lag reported by any replica');
      case 'normal':
        return decision('hold', replicas, 'load within the thresholds');
      case 'saturated': {
        const heldMs = at - this.saturatedSince!;
        if (heldMs < windowMs) return decision('hold', replicas, `saturated for ${heldMs} ms of the ${windowMs} ms window`);
        if (replicas >= maxReplicas) return decision('hold', replicas, `saturated, but already at the maximum of ${maxReplicas}`);
        const coolingMs = this.cooldownLeft(at);
        if (coolingMs > 0) return decision('hold', replicas, `saturated, cooling down for ${coolingMs} ms more`);
        return decision('scale_up', replicas + 1, `saturated for ${heldMs} ms (window ${windowMs} ms)`);
      }
      case 'idle': {
        const heldMs = at - this.idleSince!;
        if (heldMs < windowMs) return decision('hold', replicas, `idle for ${heldMs} ms of the ${windowMs} ms window`);
        if (replicas <= minReplicas) return decision('hold', replicas, `idle, but already at the minimum of ${minReplicas}`);
        const coolingMs = this.cooldownLeft(at);
        if (coolingMs > 0) return decision('hold', replicas, `idle, cooling down for ${coolingMs} ms more`);
        return decision('scale_down', replicas - 1, `idle for ${heldMs} ms (window ${windowMs} ms)`);
      }
    }
  }

  /**
   * Records that an action was taken (or attempted) at `at`: the cool-down starts, and the next action needs a
   * fresh full window, measured on the changed fleet.
   */
  acted(at: number = this.now()): void {
    this.lastActionAt = at;
    this.saturatedSince = undefined;
    this.idleSince = undefined;
  }

  classify(signals: LoadSignals): LoadPressure {
    const { scaleUpThreshold, scaleDownThreshold, lagScaleUpThreshold } = this.options;
    const { utilization, lag } = signals;
    const lagHigh = lagScaleUpThreshold > 0 && lag !== undefined && lag >= lagScaleUpThreshold;
    if (lagHigh || (utilization !== undefined && utilization > scaleUpThreshold)) return 'saturated';
    if (utilization === undefined) return lag === undefined ? 'unknown' : 'normal';
    return utilization < scaleDownThreshold ? 'idle' : 'normal';
  }

  private track(pressure: LoadPressure, at: number): void {
    this.saturatedSince = pressure === 'saturated' ? (this.saturatedSince ?? at) : undefined;
    this.idleSince = pressure === 'idle' ? (this.idleSince ?? at) : undefined;
  }

  private cooldownLeft(at: number): number {
    return this.lastActionAt === undefined ? 0 : Math.max(0, this.lastActionAt + this.options.cooldownMs - at);
  }
}

function validateOptions(o: ScalingPolicyOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.minReplicas) || o.minReplicas < 0) problems.push('minReplicas must be an integer >= 0');
  if (!Number.isInteger(o.maxReplicas) || o.maxReplicas < Math.max(1, o.minReplicas)) {
    problems.push('maxReplicas must be an integer >= max(1, minReplicas)');
  }
  if (!(o.scaleDownThreshold >= 0 && o.scaleDownThreshold < o.scaleUpThreshold && o.scaleUpThreshold <= 1)) {
    problems.push('thresholds must satisfy 0 <= scaleDownThreshold < scaleUpThreshold <= 1');
  }
  if (!(o.lagScaleUpThreshold >= 0)) problems.push('lagScaleUpThreshold must be >= 0');
  if (!(o.windowMs >= 0) || !(o.cooldownMs >= 0)) problems.push('windowMs and cooldownMs must be >= 0');
  if (problems.length) throw new SightlineError(AutoscalingErrorCode.policyInvalid, problems.join('; '), { options: o });
}
