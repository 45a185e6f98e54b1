import { describe, expect, it } from 'vitest';
import { percentile, perSecond, RollingSamples } from './stats.js';

describe('percentile (nearest rank)', () => {
  it('picks ranks from sorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('RollingSamples', () => {
  it('keeps only the window and reports percentiles and the plotted series', () => {
    const samples = new RollingSamples(1000);
    samples.add(0, 500);
    samples.add(600, 10);
    samples.add(1200, 30);
    samples.add(1500, 20);
    expect(samples.size).toBe(3);
    expect(samples.percentiles(50, 99)).toEqual([20, 30]);
    expect(samples.series()).toEqual([
      [0.6, 1.2, 1.5],
      [10, 30, 20],
    ]);
  });
});

describe('perSecond', () => {
  it('sums counts per wall-clock second and fills empty seconds with zero', () => {
    const [xs, ys] = perSecond([
      { timestamp: '2025-06-26T15:04:05.100Z', count: 1 },
      { timestamp: '2025-06-26T15:04:05.900Z', count: 2 },
      { timestamp: '2025-06-26T15:04:08.000Z', count: 1 },
    ]);
    const first = Date.parse('2025-06-26T15:04:05Z') / 1000;
    expect(xs).toEqual([first, first + 1, first + 2, first + 3]);
    expect(ys).toEqual([3, 0, 0, 1]);
    expect(perSecond([])).toEqual([[], []]);
  });
});
