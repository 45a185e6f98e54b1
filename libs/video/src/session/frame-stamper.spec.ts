import { describe, expect, it } from 'vitest';
import type { SourceFrame } from '../sources/source.js';
import { FrameStamper, type FrameStamperOptions } from './frame-stamper.js';

const FRAME = { width: 640, height: 640, pixelFormat: 'rgb24' as const };
const HD = { width: 1920, height: 1080 };

function frame(pts: number, overrides: Partial<SourceFrame> = {}): SourceFrame {
  return { pixels: Buffer.alloc(0), source: HD, pts, captureTime: 1_750_000_000_000 + pts * 1000, ...overrides };
}

/** A stamper on a clock the test sets. */
function makeStamper(options: Partial<FrameStamperOptions> = {}) {
  const clock = { now: 1_750_000_000_000 };
  const stamper = new FrameStamper({ sessionId: 'cam1', frame: FRAME, live: true, now: () => clock.now, ...options });
  return { stamper, clock };
}

describe('FrameStamper', () => {
  it('numbers frames from firstSeq without gaps and stamps what the frame carries, rounded', () => {
    const { stamper } = makeStamper({ firstSeq: 41, run: 'run-2' });
    const first = stamper.stamp(frame(0, { captureTime: 1000.12345, sourceTime: 900.98765, decodeMs: 3.14159 }), true);
    const second = stamper.stamp(frame(1 / 30, { captureTime: 1033.4 }), false);
    expect(first).toEqual({
      sessionId: 'cam1',
      seq: 41,
      run: 'run-2',
      pts: 0,
      captureTime: 1000.123,
      sourceTime: 900.988,
      publishedAt: 0,
      live: true,
      source: HD,
      frame: FRAME,
      letterbox: { scale: 1 / 3, padX: 0, padY: 140 },
      decodeMs: 3.142,
    });
    expect(second).toMatchObject({ seq: 42, pts: 0.033333, captureTime: 1033.4 });
    expect(second).not.toHaveProperty('sourceTime');
    expect(second).not.toHaveProperty('decodeMs');
    expect(stamper.sequence).toBe(43);
  });

  it('continues a live source’s pts across a reconnect by the wall time that passed', () => {
    const { stamper, clock } = makeStamper();
    expect(stamper.stamp(frame(0), true)!.pts).toBe(0);
    clock.now += 100;
    expect(stamper.stamp(frame(0.1), false)!.pts).toBe(0.1);
    clock.now += 2500; // the outage: the next run starts its pts at 0 again
    expect(stamper.stamp(frame(0), true)!.pts).toBe(2.6);
    clock.now += 100;
    expect(stamper.stamp(frame(0.1), false)!.pts).toBe(2.7);
  });

  it('continues a batch source’s pts across runs by one millisecond, whatever the wall clock did', () => {
    const { stamper, clock } = makeStamper({ live: false });
    stamper.stamp(frame(0), true);
    expect(stamper.stamp(frame(4.96), false)).toMatchObject({ pts: 4.96, live: false });
    clock.now += 60_000;
    expect(stamper.stamp(frame(0), true)!.pts).toBe(4.961);
    expect(stamper.stamp(frame(0.04), false)!.pts).toBe(5.001);
  });

  it('keeps at most maxFps frames per second of video; skipped frames get no seq', () => {
    const { stamper } = makeStamper({ maxFps: 20 });
    expect(stamper.limitsRate).toBe(true);
    const seqs = Array.from({ length: 12 }, (_, i) => stamper.stamp(frame(i / 60), i === 0)?.seq);
    expect(seqs).toEqual([0, undefined, undefined, 1, undefined, undefined, 2, undefined, undefined, 3, undefined, undefined]);
    expect(stamper.sequence).toBe(4);
  });

  it('applies the rate limit to the continued pts: a reconnect does not reset the grid to the run’s own pts', () => {
    const { stamper, clock } = makeStamper({ maxFps: 10 });
    expect(stamper.stamp(frame(0), true)).toBeDefined();
    clock.now += 50;
    expect(stamper.stamp(frame(0.05), false)).toBeUndefined();
    clock.now += 1000; // the new run's pts 0 is 1.05 s of session time: a frame after a gap is kept
    expect(stamper.stamp(frame(0), true)).toMatchObject({ seq: 1, pts: 1.05 });
    clock.now += 50;
    expect(stamper.stamp(frame(0.05), false)).toBeUndefined();
  });

  it('stamps every frame without a limit', () => {
    const { stamper } = makeStamper();
    expect(stamper.limitsRate).toBe(false);
    expect(Array.from({ length: 5 }, (_, i) => stamper.stamp(frame(i / 120), i === 0)?.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it('letterboxes each source size, following a resolution change mid-run', () => {
    const { stamper } = makeStamper();
    const hd = stamper.stamp(frame(0), true)!.letterbox;
    const portrait = stamper.stamp(frame(0.1, { source: { width: 720, height: 1280 } }), false)!.letterbox;
    const hdAgain = stamper.stamp(frame(0.2), false)!.letterbox;
    expect(hd).toEqual({ scale: 1 / 3, padX: 0, padY: 140 });
    expect(portrait).toEqual({ scale: 0.5, padX: 140, padY: 0 });
    expect(hdAgain).toEqual(hd);
  });
});
