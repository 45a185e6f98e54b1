import { describe, expect, it } from 'vitest';
import { ReorderWindow } from './reorder-window.js';

const seqs = (released: Array<{ seq: number }>) => released.map((r) => r.seq);

describe('reorder window', () => {
  it('releases frames in order as soon as the earlier ones are in', () => {
    const window = new ReorderWindow<string>({ maxFrames: 8, maxWaitMs: 100 });
    window.offer(0, 'a', 0);
    expect(seqs(window.release(0))).toEqual([0]);
    window.offer(2, 'c', 1);
    window.offer(3, 'd', 2);
    expect(window.release(2)).toEqual([]);
    window.offer(1, 'b', 3);
    expect(window.release(3)).toEqual([
      { seq: 1, item: 'b', gap: 0 },
      { seq: 2, item: 'c', gap: 0 },
      { seq: 3, item: 'd', gap: 0 },
    ]);
  });

  it('gives up on a missing frame after the wait and reports the gap; the missing frame is then late', () => {
    const window = new ReorderWindow<number>({ maxFrames: 8, maxWaitMs: 100 }, 10);
    window.offer(12, 12, 1000);
    window.offer(13, 13, 1010);
    expect(window.release(1099)).toEqual([]);
    expect(window.nextDeadline()).toBe(1100);
    expect(window.release(1100)).toEqual([
      { seq: 12, item: 12, gap: 2 },
      { seq: 13, item: 13, gap: 0 },
    ]);
    expect(window.offer(11, 11, 1200)).toBe('late');
    expect(window.offer(14, 14, 1200)).toBe('accepted');
    expect(window.offer(14, 14, 1201)).toBe('duplicate');
  });

  it('gives up at once when more than maxFrames are waiting', () => {
    const window = new ReorderWindow<number>({ maxFrames: 2, maxWaitMs: 10_000 }, 0);
    window.offer(1, 1, 0);
    window.offer(2, 2, 0);
    expect(window.release(0)).toEqual([]);
    window.offer(3, 3, 0);
    expect(window.release(0).map((r) => [r.seq, r.gap])).toEqual([
      [1, 1],
      [2, 0],
      [3, 0],
    ]);
  });

  it('waits for a fresh session whose first frame is not 0, and drains everything at the end', () => {
    const window = new ReorderWindow<number>({ maxFrames: 8, maxWaitMs: 50 });
    window.offer(7, 7, 0);
    expect(window.release(10)).toEqual([]);
    window.offer(5, 5, 20);
    expect(window.release(49)).toEqual([]);
    // Frame 7 has waited 50 ms: 5 and 7 go, 6 is given up on.
    expect(window.release(50).map((r) => [r.seq, r.gap])).toEqual([
      [5, 0],
      [7, 1],
    ]);
    window.offer(9, 9, 60);
    window.offer(12, 12, 61);
    expect(window.drain().map((r) => [r.seq, r.gap])).toEqual([
      [9, 1],
      [12, 2],
    ]);
    expect(window.size).toBe(0);
  });
});
