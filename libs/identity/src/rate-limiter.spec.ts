import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst of perMinute, then refuses with the wait until the next token', () => {
    const limiter = new RateLimiter({ name: 'login_ip', perMinute: 3 });
    const t0 = 1_000_000;
    expect([limiter.take('1.2.3.4', t0), limiter.take('1.2.3.4', t0), limiter.take('1.2.3.4', t0)]).toEqual([0, 0, 0]);
    expect(limiter.take('1.2.3.4', t0)).toBe(20);
    // Other keys have their own bucket.
    expect(limiter.take('5.6.7.8', t0)).toBe(0);
    // One token comes back every 20 s.
    expect(limiter.take('1.2.3.4', t0 + 20_000)).toBe(0);
    expect(limiter.take('1.2.3.4', t0 + 20_000)).toBeGreaterThan(0);
  });

  it('never refills above the burst size', () => {
    const limiter = new RateLimiter({ name: 'reset_account', perMinute: 2 });
    expect(limiter.take('a', 0)).toBe(0);
    const later = 3_600_000;
    expect([limiter.take('a', later), limiter.take('a', later)]).toEqual([0, 0]);
    expect(limiter.take('a', later)).toBeGreaterThan(0);
  });

  it('allows a burst above a slow refill (mails per address per hour)', () => {
    const limiter = new RateLimiter({ name: 'mail_address', perMinute: 3 / 60, burst: 3 });
    expect([limiter.take('a', 0), limiter.take('a', 0), limiter.take('a', 0)]).toEqual([0, 0, 0]);
    expect(limiter.take('a', 0)).toBe(1200); // one token every 20 minutes
    expect(limiter.take('a', 1_200_000)).toBe(0);
  });

  it('bounds memory, dropping idle buckets before an exhausted one', () => {
    const limiter = new RateLimiter({ name: 'login_account', perMinute: 1 }, 3);
    for (let i = 0; i < 5; i++) limiter.take(`idle-${i}`, 0);
    expect(limiter.size).toBe(3);
    const later = 60_000; // the idle buckets are full again by now
    expect(limiter.take('attacked', later)).toBe(0);
    expect(limiter.take('attacked', later)).toBe(60);
    limiter.take('newcomer-1', later);
    limiter.take('newcomer-2', later);
    expect(limiter.size).toBeLessThanOrEqual(3);
    expect(limiter.take('attacked', later)).toBeGreaterThan(0);
  });
});
