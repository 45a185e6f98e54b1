import { describe, expect, it } from 'vitest';
import { ClockOffsetEstimate } from './clock-offset.js';

describe('ClockOffsetEstimate', () => {
  it('starts at the first observation and follows a step smoothly', () => {
    const estimate = new ClockOffsetEstimate(0.5);
    expect(estimate.offsetMs).toBeUndefined();
    expect(estimate.observe(-600)).toBe(-600);
    expect(estimate.observe(-400)).toBe(-500);
    expect(estimate.observe(-400)).toBe(-450);
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
