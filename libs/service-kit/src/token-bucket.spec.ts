import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst of perMinute, then refills one token every 60/perMinute seconds', () => {
    const bucket = new TokenBucket(6, 0);
    for (let i = 0; i < 6; i++) expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.secondsUntilToken(0)).toBe(10);
    expect(bucket.secondsUntilToken(4_000)).toBe(6);
    expect(bucket.tryTake(9_999)).toBe(false);
    expect(bucket.tryTake(10_000)).toBe(true);
  });

  it('never holds more than perMinute tokens, and tells when it is full', () => {
    const bucket = new TokenBucket(3, 0);
    expect(bucket.refill(3_600_000)).toBe(3);
    expect(bucket.isFull(3_600_000)).toBe(true);
    bucket.take();
    expect(bucket.isFull(3_600_000)).toBe(false);
    expect(bucket.refill(3_600_000)).toBe(2);
  });

  it('holds a burst above its rate when told to (3 at once, then one every 20 minutes)', () => {
    const bucket = new TokenBucket(3 / 60, 0, 3);
    for (let i = 0; i < 3; i++) expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.secondsUntilToken(0)).toBe(1200);
    expect(bucket.refill(100 * 3_600_000)).toBe(3);
    expect(bucket.isFull(100 * 3_600_000)).toBe(true);
  });
});
