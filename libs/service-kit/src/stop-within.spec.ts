import { describe, expect, it } from 'vitest';
import { stopWithin } from './stop-within.js';

describe('stopWithin', () => {
  it('is true when the step finishes within the budget', async () => {
    let stopped = false;
    expect(await stopWithin(60_000, async () => (stopped = true))).toBe(true);
    expect(stopped).toBe(true);
  });

  it('is false when the budget runs out first, without waiting for the step', async () => {
    expect(await stopWithin(10, () => new Promise(() => {}))).toBe(false);
  });

  it('passes a failing step on', async () => {
    await expect(stopWithin(60_000, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
