import { describe, expect, it } from 'vitest';
import { FrameRateLimiter } from './frame-rate-limiter.js';

/** The pts of `count` frames at `fps`, optionally with jitter. */
const frames = (fps: number, count: number, jitter = () => 0) => Array.from({ length: count }, (_, i) => i / fps + jitter());
const kept = (limiter: FrameRateLimiter, pts: number[]) => pts.filter((p) => limiter.admit(p));

describe('FrameRateLimiter', () => {
  it('keeps every other frame of 60 fps at 30, every third at 20, evenly spaced', () => {
    const sixty = frames(60, 120);
    expect(kept(new FrameRateLimiter(30), sixty)).toEqual(sixty.filter((_, i) => i % 2 === 0));
    expect(kept(new FrameRateLimiter(20), sixty)).toEqual(sixty.filter((_, i) => i % 3 === 0));
  });

  it('keeps every frame when the source is not faster than the limit', () => {
    const thirty = frames(30, 90);
    expect(kept(new FrameRateLimiter(30), thirty)).toEqual(thirty);
    expect(kept(new FrameRateLimiter(60), thirty)).toEqual(thirty);
  });

  it('holds the rate when live timestamps jitter by a few milliseconds', () => {
    let n = 0;
    const jittery = frames(60, 600, () => ((n++ % 5) - 2) * 0.0015); // ±3 ms
    const result = kept(new FrameRateLimiter(30), jittery);
    expect(result.length).toBeGreaterThanOrEqual(295);
    expect(result.length).toBeLessThanOrEqual(305);
    const gaps = result.slice(1).map((p, i) => p - result[i]);
    expect(Math.min(...gaps)).toBeGreaterThan(0.025);
    expect(Math.max(...gaps)).toBeLessThan(0.042);
  });

  it('starts again after a gap or a timestamp reset instead of stalling or bursting', () => {
    const limiter = new FrameRateLimiter(10);
    expect(kept(limiter, [0, 0.05, 0.1])).toEqual([0, 0.1]);
    // 5 s gap (reconnect): the next frame is kept, then the rate holds from there.
    expect(kept(limiter, [5.02, 5.07, 5.12, 5.17])).toEqual([5.02, 5.12]);
    // Timestamps start over at 0.
    expect(kept(limiter, [0, 0.05, 0.1])).toEqual([0, 0.1]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new FrameRateLimiter(0)).toThrow(RangeError);
  });
});
