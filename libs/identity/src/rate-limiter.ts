/**
 * In-memory token buckets keyed by client IP or account. Per process: with N replicas behind a load balancer the
 * effective limit is up to N times higher (documented); good enough against online guessing at bcrypt speed.
 */
import { TokenBucket } from '@sightline/service-kit';

export interface RateLimitRule {
  /** Label in metrics and error bodies, e.g. `login_ip`. */
  name: string;
  /** Requests allowed per minute (may be below 1, e.g. 5 an hour); also the burst size unless `burst` is set. */
  perMinute: number;
  /** Requests allowed at once after a quiet period (default: perMinute). */
  burst?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly rule: RateLimitRule,
    /** Memory bound: past it, idle (full) buckets are dropped first, then the least recently used. */
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one token for `key`: 0 when allowed, else the whole seconds until a token is available. */
  take(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key) ?? new TokenBucket(this.rule.perMinute, now, this.rule.burst);
    // Re-insert so Map order is least-recently-used first; evict others before, never the bucket in hand.
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.evict(now);
    this.buckets.set(key, bucket);
    return bucket.tryTake(now) ? 0 : bucket.secondsUntilToken(now);
  }

  /** Seconds until `key` has a token (0: it has one now), without taking it. */
  peek(key: string, now = Date.now()): number {
    return this.buckets.get(key)?.secondsUntilToken(now) ?? 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.isFull(now)) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}
