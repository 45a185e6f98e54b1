import { describe, expect, it } from 'vitest';
import { ClockOffsetEstimate } from './clock-offset.js';

describe('ClockOffsetEstimate', () => {
  it('takes the least-delayed recent frame: our own lateness does not read as the sender clock being off', () => {
    const estimate = new ClockOffsetEstimate(4);
    expect(estimate.offsetMs).toBeUndefined();
    expect(estimate.observe(-20)).toBe(-20);
    // A 2 s stall here: those frames arrive late, their difference drops; the estimate stays.
    expect(estimate.observe(-2000)).toBe(-20);
    expect(estimate.observe(-1500)).toBe(-20);
    expect(estimate.observe(-30)).toBe(-20);
    // The window moves on: the old best is forgotten, a sender clock step shows within one window.
    expect(estimate.observe(3000)).toBe(3000);
    for (let i = 0; i < 3; i++) estimate.observe(2990);
    expect(estimate.observe(2980)).toBe(2990);
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
