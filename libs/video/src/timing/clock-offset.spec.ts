import { describe, expect, it } from 'vitest';
import { ClockOffsetEstimate } from './clock-offset.js';

describe('ClockOffsetEstimate', () => {
  it('takes the recent difference closest to agreement: transient disturbances do not read as a wrong clock', () => {
    const estimate = new ClockOffsetEstimate(4);
    expect(estimate.offsetMs).toBeUndefined();
    expect(estimate.observe(-20)).toBe(-20);
    // A 2 s stall here (frames arrive late) and an odd sender report (a frame "from the future"): the estimate stays.
    expect(estimate.observe(-2000)).toBe(-20);
    expect(estimate.observe(1500)).toBe(-20);
    expect(estimate.observe(-30)).toBe(-20);
    // A sender clock 3 s ahead shows once every frame of the window says so; it is the smallest of them.
    expect(estimate.observe(3010)).toBe(-30);
    for (let i = 0; i < 2; i++) estimate.observe(2990);
    expect(estimate.observe(3005)).toBe(2990);
    // And 3 s behind, likewise.
    for (let i = 0; i < 4; i++) estimate.observe(-3000 - i);
    expect(estimate.offsetMs).toBe(-3000);
  });

  it('is settled after 30 observations and starts over on reset', () => {
    const estimate = new ClockOffsetEstimate();
    for (let i = 0; i < 29; i++) estimate.observe(3000);
    expect(estimate.settled).toBe(false);
    estimate.observe(3000);
    expect(estimate.settled).toBe(true);
    expect(estimate.offsetMs).toBe(3000);
    estimate.reset();
    expect([estimate.settled, estimate.offsetMs]).toEqual([false, undefined]);
  });
});
