/**
 * Replays (subscriptions started from a past sequence or time) per user, across all of the user's connections: each
 * one reads the RESULTS stream from behind its head, so one user must not be able to run hundreds at once. A slot is
 * held from the subscribe until the subscription reaches the stream head or ends.
 */
export class ReplayBudget {
  private readonly inUse = new Map<string, number>();

  constructor(readonly perUser: number) {}

  /** Takes `count` slots for the user, all or none. */
  tryAcquire(userId: string, count: number): boolean {
    const used = this.inUse.get(userId) ?? 0;
    if (used + count > this.perUser) return false;
    if (count > 0) this.inUse.set(userId, used + count);
    return true;
  }

  release(userId: string, count = 1): void {
    const left = (this.inUse.get(userId) ?? 0) - count;
    if (left > 0) this.inUse.set(userId, left);
    else this.inUse.delete(userId);
  }

  used(userId: string): number {
    return this.inUse.get(userId) ?? 0;
  }
}
