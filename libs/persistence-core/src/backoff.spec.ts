import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('grows exponentially from the initial delay and never exceeds the cap', () => {
    const policy = { initialMs: 100, maxMs: 1000 };
    for (let i = 0; i < 20; i++) {
      expect(backoffDelayMs(1, policy)).toBeGreaterThanOrEqual(80);
      expect(backoffDelayMs(1, policy)).toBeLessThanOrEqual(120);
      expect(backoffDelayMs(3, policy)).toBeGreaterThanOrEqual(320);
      expect(backoffDelayMs(3, policy)).toBeLessThanOrEqual(480);
      expect(backoffDelayMs(30, policy)).toBeLessThanOrEqual(1000);
      expect(backoffDelayMs(30, policy)).toBeGreaterThanOrEqual(800);
    }
  });
});
