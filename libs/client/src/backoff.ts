/**
 * The reconnect schedule of requirements §6.7: 1 → 2 → 5 → 10 → 20 → 30 → 60 s, then 60 s for every further
 * attempt. The client resets it once a connection has stayed up long enough to count as stable.
 */
export const RECONNECT_SCHEDULE_MS: readonly number[] = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000];

export class ReconnectBackoff {
  private failures = 0;

  /**
   * @param jitterRatio 0 (default) keeps the exact schedule; r in (0, 1] shortens each delay by up to r × delay, so a
   *   fleet of agents does not reconnect in lock-step while the maximum stays 60 s.
   */
  constructor(
    private readonly schedule: readonly number[] = RECONNECT_SCHEDULE_MS,
    private readonly jitterRatio = 0,
    private readonly random: () => number = Math.random,
  ) {
    if (schedule.length === 0 || schedule.some((d) => !(d >= 0))) throw new RangeError('reconnect schedule needs delays >= 0');
    if (!(jitterRatio >= 0 && jitterRatio <= 1)) throw new RangeError('jitterRatio must be within [0, 1]');
  }

  /** Consecutive failed or short-lived connections since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call moves one step along the schedule (staying on its last step). */
  next(): number {
    const base = this.schedule[Math.min(this.failures, this.schedule.length - 1)]!;
    this.failures++;
    return Math.round(base * (1 - this.jitterRatio * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}
