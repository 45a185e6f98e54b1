import { describe, expect, it } from 'vitest';
import { FairShareArbiter } from './fair-share.js';

const T0 = 1_800_000_000_000;
const PRESSURE_MS = 150;

/** A live frame of `sessionId` that has waited `waitedMs` in the queue at `now`. */
const frame = (sessionId: string, now: number, waitedMs: number) => ({ sessionId, live: true, publishedAt: now - waitedMs });

/**
 * Runs a worker that can analyse `capacity` frames per tick against sessions that send `rates[s]` frames per tick,
 * interleaved in arrival order, for `ticks` ticks; frames left over wait (and age) in a FIFO queue. Returns analysed
 * and shed counts per session, plus what the deadline (500 ms, ticks of 100 ms) skipped.
 */
function simulate(arbiter: FairShareArbiter | undefined, rates: Record<string, number>, capacity: number, ticks: number) {
  const queue: Array<{ sessionId: string; publishedAt: number }> = [];
  const counts = Object.fromEntries(Object.keys(rates).map((s) => [s, { analyzed: 0, shed: 0, stale: 0, received: 0 }]));
  for (let tick = 0; tick < ticks; tick++) {
    const now = T0 + tick * 100;
    // The tick's frames in an order that rotates, so no session always arrives first.
    const arrivals = Object.entries(rates).flatMap(([sessionId, rate]) => Array.from({ length: rate }, () => sessionId));
    const shift = (tick * 7) % arrivals.length;
    for (const sessionId of [...arrivals.slice(shift), ...arrivals.slice(0, shift)]) queue.push({ sessionId, publishedAt: now });
    let work = capacity;
    while (work > 0 && queue.length) {
      const next = queue.shift()!;
      const c = counts[next.sessionId]!;
      c.received++;
      if (now - next.publishedAt > 500) {
        arbiter?.missed(next.sessionId, now);
        c.stale++;
      } else if (arbiter?.decide({ ...next, live: true }, now) === 'shed') c.shed++;
      else {
        c.analyzed++;
        work--;
      }
    }
  }
  return counts;
}

describe('FairShareArbiter', () => {
  it('analyses everything while the queue is short, whatever the shares', () => {
    const arbiter = new FairShareArbiter({ pressureQueueMs: PRESSURE_MS, windowMs: 2000 });
    for (let i = 0; i < 100; i++) expect(arbiter.decide(frame('busy', T0 + i, 10), T0 + i)).toBe('analyze');
    expect(arbiter.decide(frame('quiet', T0 + 100, PRESSURE_MS), T0 + 100)).toBe('analyze');
    expect(arbiter.analyzedInWindow(T0 + 100)).toEqual(
      new Map([
        ['busy', 100],
        ['quiet', 1],
      ]),
    );
  });

  it('while behind, sheds the frames of a session above its fair share and analyses the least served', () => {
    const arbiter = new FairShareArbiter({ pressureQueueMs: PRESSURE_MS, windowMs: 2000 });
    // a asked for 12 frames and had 6 analysed, b asked for 4 and had 1, c asked for 1 and had it.
    for (let i = 0; i < 6; i++) arbiter.decide(frame('a', T0, 0), T0);
    for (let i = 0; i < 6; i++) arbiter.missed('a', T0);
    arbiter.decide(frame('b', T0, 0), T0);
    for (let i = 0; i < 3; i++) arbiter.missed('b', T0);
    arbiter.decide(frame('c', T0, 0), T0);
    // Fair level: c's 1, then (8 − 1) / 2 = 3.5 for a and b. Behind, a (6 > 3.5) is shed; not behind, it is analysed.
    const now = T0 + 10;
    expect(arbiter.decide(frame('a', now, 200), now)).toBe('shed');
    expect(arbiter.decide(frame('a', now, 100), now)).toBe('analyze');
    // b (asking for more than its share) is analysed until it passes a (7), then shed.
    const verdicts: string[] = [];
    for (let i = 0; i < 8; i++) verdicts.push(arbiter.decide(frame('b', now, 200), now));
    expect(verdicts).toEqual([...Array<string>(7).fill('analyze'), 'shed']);
    expect(arbiter.analyzedInWindow(now)).toEqual(
      new Map([
        ['a', 7],
        ['b', 8],
        ['c', 1],
      ]),
    );
  });

  it('never sheds a lone session, nor a session nobody else was denied beside, nor batch (file) frames', () => {
    const arbiter = new FairShareArbiter({ pressureQueueMs: PRESSURE_MS, windowMs: 2000 });
    for (let i = 0; i < 50; i++) expect(arbiter.decide(frame('alone', T0, 10_000), T0)).toBe('analyze');
    arbiter.decide(frame('other', T0, 0), T0);
    expect(arbiter.decide(frame('alone', T0, 10_000), T0)).toBe('analyze');
    // other now loses frames to the deadline: it asked for 4 and got 1.
    for (let i = 0; i < 3; i++) arbiter.missed('other', T0);
    for (let i = 0; i < 5; i++) expect(arbiter.decide({ sessionId: 'alone', live: false, publishedAt: T0 - 10_000 }, T0)).toBe('analyze');
    expect(arbiter.decide(frame('alone', T0, 10_000), T0)).toBe('shed');
  });

  it('forgets analysed frames after the window, and sessions that stopped sending', () => {
    const arbiter = new FairShareArbiter({ pressureQueueMs: PRESSURE_MS, windowMs: 1000 });
    for (let i = 0; i < 10; i++) arbiter.decide(frame('early', T0, 0), T0);
    arbiter.decide(frame('late', T0 + 500, 0), T0 + 500);
    for (let i = 0; i < 3; i++) arbiter.missed('late', T0 + 500);
    expect(arbiter.decide(frame('early', T0 + 600, 500), T0 + 600)).toBe('shed');
    // 1 s on, early's frames are out of the window: one analysed each, neither above the mean.
    expect(arbiter.decide(frame('early', T0 + 1001, 500), T0 + 1001)).toBe('analyze');
    expect(arbiter.analyzedInWindow(T0 + 1001)).toEqual(
      new Map([
        ['early', 1],
        ['late', 1],
      ]),
    );
    expect(arbiter.analyzedInWindow(T0 + 1600)).toEqual(new Map([['early', 1]]));
    expect(arbiter.analyzedInWindow(T0 + 2002)).toEqual(new Map());
  });

  it('pressureQueueMs 0 is FIFO: nothing is ever shed', () => {
    const arbiter = new FairShareArbiter({ pressureQueueMs: 0, windowMs: 2000 });
    for (let i = 0; i < 20; i++) arbiter.decide(frame('a', T0, 0), T0);
    for (let i = 0; i < 20; i++) arbiter.missed('b', T0);
    expect(arbiter.decide(frame('b', T0, 0), T0)).toBe('analyze');
    expect(arbiter.decide(frame('a', T0, 60_000), T0)).toBe('analyze');
  });

  it('overloaded by a 6:6:1 mix, gives the slow session all its frames where FIFO gives it a third of them', () => {
    // 13 frames per 100 ms tick offered, 4 analysed: the queue grows, frames age past the pressure bound and the deadline.
    const rates = { fast1: 6, fast2: 6, slow: 1 };
    const fifo = simulate(undefined, rates, 4, 100);
    const fair = simulate(new FairShareArbiter({ pressureQueueMs: PRESSURE_MS, windowMs: 2000 }), rates, 4, 100);
    for (const counts of [fifo, fair]) {
      for (const c of Object.values(counts)) expect(c.analyzed + c.shed + c.stale).toBe(c.received);
    }
    expect(fifo.slow!.analyzed).toBeLessThan(fifo.slow!.received / 2);
    expect(fair.slow!.analyzed).toBeGreaterThanOrEqual(fair.slow!.received * 0.9);
    // The two fast sessions split the rest evenly.
    expect(Math.abs(fair.fast1!.analyzed - fair.fast2!.analyzed)).toBeLessThanOrEqual(fair.fast1!.analyzed * 0.05);
    // Work-conserving: the fair run analyses as many frames in all as FIFO does.
    const total = (c: typeof fair) => Object.values(c).reduce((n, s) => n + s.analyzed, 0);
    expect(total(fair)).toBe(total(fifo));
  });
});
