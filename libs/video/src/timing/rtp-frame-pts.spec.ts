import { describe, expect, it } from 'vitest';
import { CatchUpGate } from './catch-up-gate.js';
import { RtpFramePts } from './rtp-frame-pts.js';
import { SampleLedger } from './sample-ledger.js';

/** 30 fps at 90 kHz. */
const FRAME = 3000;

describe('RtpFramePts', () => {
  it('keeps pts increasing when units were dropped before decoding and FFmpeg cannot trace a frame', () => {
    // A live run: units 0-39 written, the gate drops 40-59 (behind), keyframe 60 onwards written again.
    const gate = new CatchUpGate({ maxLagMs: 500 });
    const ledger = new SampleLedger<{ pts: number }>();
    const positions: number[] = [];
    gate.decoded(50, 0); // armed
    for (let i = 0; i < 70; i++) {
      const behind = i >= 40 && i < 60;
      if (behind) gate.decoded(1500, 0);
      const decision = gate.decide({ keyframe: i % 30 === 0, reference: true, arrivalMs: 1000 }, 1000);
      if (decision !== 'write') continue;
      positions.push(ledger.record(500, { pts: i * FRAME }));
    }
    expect(positions).toHaveLength(50); // 20 dropped
    // FFmpeg's output: frames 0-39, one frame whose showinfo has no position (pos -1), then 60-69. The old fallback
    // timed it on FFmpeg's clock: 40 decoded frames = 1.33 s, while the RTP clock was at 2 s: back in time.
    const framePos = [...positions.slice(0, 40), undefined, ...positions.slice(40)];
    const pts = new RtpFramePts<{ value: { pts: number } }>();
    const published: number[] = [];
    const skipped: string[] = [];
    for (const pos of framePos) {
      const timed = pts.next(pos === undefined ? undefined : ledger.lookup(pos));
      if ('skip' in timed) skipped.push(timed.skip);
      else published.push(timed.ticks / 90_000);
    }
    expect(skipped).toEqual(['untraced']);
    expect(published).toHaveLength(50);
    expect(published.slice(1).every((p, i) => p > published[i]!)).toBe(true);
    expect(published[40]).toBe(2); // the keyframe after the cut: its own RTP time, 20 frames on
  });

  it('never repeats a pts: a picture split in two and a sender repeating an RTP timestamp are skipped', () => {
    const ledger = new SampleLedger<{ pts: number }>();
    const a = ledger.record(100, { pts: 0 });
    const b = ledger.record(100, { pts: FRAME });
    const c = ledger.record(100, { pts: FRAME }); // same RTP timestamp as b
    const d = ledger.record(100, { pts: 2 * FRAME });
    const pts = new RtpFramePts<{ value: { pts: number } }>();
    // b decoded as two pictures (the second starts inside b), then c and d.
    const results = [a, b, b + 60, c, d].map((pos) => pts.next(ledger.lookup(pos)));
    expect(results).toEqual([{ ticks: 0 }, { ticks: FRAME }, { skip: 'sameSample' }, { skip: 'notAfterPrevious' }, { ticks: 2 * FRAME }]);
  });
});
