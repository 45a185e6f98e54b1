/**
 * In-memory token buckets keyed by client IP or account. Per process: with N replicas behind a load balancer the
 * effective limit is up to N times higher (documented); good enough against online guessing at bcrypt speed.
 */
export interface RateLimitRule {
  /** Label in metrics and error bodies, e.g. `login_ip`. */
  name: string;
  /** Requests allowed per minute (may be below 1, e.g. 5 an hour); also the burst size unless `burst` is set. */
  perMinute: number;
  /** Requests allowed at once after a quiet period (default: perMinute). */
  burst?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;
  private readonly burst: number;

  constructor(
    readonly rule: RateLimitRule,
    /** Memory bound: past it, idle (full) buckets are dropped first, then the least recently used. */
    private readonly maxKeys = 100_000,
  ) {
    this.refillPerMs = rule.perMinute / 60_000;
    this.burst = rule.burst ?? rule.perMinute;
  }

  /** Takes one token for `key`: 0 when allowed, else the whole seconds until a token is available. */
  take(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updatedAt: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = now;
    // Re-insert so Map order is least-recently-used first; evict others before, never the bucket in hand.
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.evict(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000);
  }

  /** Seconds until `key` has a token (0: it has one now), without taking it. */
  peek(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.refillPerMs / 1000);
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs >= this.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}
