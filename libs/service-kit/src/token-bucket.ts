/**
 * One token bucket for every rate limit at a service's edge (gateway commands per connection; auth's per-IP and
 * per-account limits keep one per key in identity's RateLimiter): `perMinute` tokens, refilled continuously, and
 * `burst` (default `perMinute`) at once after a quiet period.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly refillPerMs: number;

  constructor(
    readonly perMinute: number,
    now = Date.now(),
    /** Tokens a full bucket holds: requests allowed at once (e.g. 3 mails at once at 3 an hour). */
    readonly burst = perMinute,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
    this.refillPerMs = perMinute / 60_000;
  }

  /** Brings the bucket up to `now` and returns the tokens in it (fractional). */
  refill(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, now - this.updatedAt) * this.refillPerMs);
    this.updatedAt = now;
    return this.tokens;
  }

  /** Takes one token if there is one now. */
  tryTake(now = Date.now()): boolean {
    if (this.refill(now) < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes a token the caller has seen with `refill` (checks in between may still refuse the request). */
  take(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** Whole seconds until a token is available (0: one is now). */
  secondsUntilToken(now = Date.now()): number {
    const tokens = this.refill(now);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.refillPerMs / 1000);
  }

  /** Full, as a new bucket: nothing is gained by keeping it (memory bounds drop these first). */
  isFull(now = Date.now()): boolean {
    return this.refill(now) >= this.burst;
  }
}
