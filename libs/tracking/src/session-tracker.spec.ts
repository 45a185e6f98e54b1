import { EVENTS, resultEnvelopeSchema, type Detection, type FrameAnalyzedPayload, type SessionZones } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRACKER_OPTIONS } from './byte-tracker.js';
import { SessionTracker, type TrackingEvent } from './session-tracker.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
function frameAt(seq: number, detections: Detection[], run?: string): FrameAnalyzedPayload {
  return {
    frameSeq: seq,
    ...(run && { run }),
    pts: seq / 25,
    captureTime: new Date(T0 + seq * 40).toISOString(),
    source: { width: 1280, height: 720 },
    model: 'test',
    provider: 'cpu',
    batchSize: 1,
    detections,
    latency: { queueMs: 0, preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, totalMs: 0 },
  };
}
const face = (x: number, y: number): Detection => ({ label: 'face', score: 0.9, box: { x, y, w: 40, h: 40 } });

// A face walking right along y = 100 (centre y = 120), 10 px per frame: centre x = 20 + 10·seq.
const ZONES: SessionZones = {
  zones: [
    {
      id: 'door',
      polygon: [
        { x: 205, y: 50 },
        { x: 405, y: 50 },
        { x: 405, y: 200 },
        { x: 205, y: 200 },
      ],
    },
  ],
  lines: [{ id: 'gate', a: { x: 500, y: 0 }, b: { x: 500, y: 300 } }],
};
const walk = (seq: number) => [face(10 * seq, 100)];
const summary = (events: TrackingEvent[]) =>
  events
    .filter((e) => e.envelope.event !== EVENTS.frameTracked)
    .map((e) => `${e.envelope.event}@${(e.envelope.payload as { frameSeq?: number }).frameSeq ?? '-'}`);

function run(tracker: SessionTracker, seqs: number[], detections: (seq: number) => Detection[] = walk, runId?: string): TrackingEvent[] {
  return seqs.flatMap((seq) => tracker.process(frameAt(seq, detections(seq), runId)));
}

describe('SessionTracker', () => {
  const options = { ...DEFAULT_TRACKER_OPTIONS, maxLostFrames: 10 };
  const seqs = Array.from({ length: 60 }, (_, i) => i);
  const visible = (seq: number) => (seq < 45 ? walk(seq) : []);

  it('reports appeared, zone entered/left, line crossed and left with dwell for a known trajectory', () => {
    const tracker = new SessionTracker('cam-1', ZONES, options);
    const events = run(tracker, seqs, visible);
    // Centre x = 20 + 10·seq: inside x ∈ (205, 405) from frame 19 to 38; the line x = 500 would be reached at
    // frame 48, but the face is last seen at frame 44; it is removed 10 frames later (frame 55).
    expect(summary(events)).toEqual(['objectAppeared@0', 'zoneEntered@19', 'zoneLeft@39', 'objectLeft@-']);
    const appeared = events.find((e) => e.envelope.event === EVENTS.objectAppeared)!.envelope;
    expect(appeared.timestamp).toBe(new Date(T0 + 40).toISOString()); // confirmed on frame 1
    expect(appeared.payload).toMatchObject({ trackId: 1, label: 'face', frameSeq: 0, box: { x: 0, y: 100, w: 40, h: 40 }, score: 0.9 });
    const zoneLeft = events.find((e) => e.envelope.event === EVENTS.zoneLeft)!.envelope.payload;
    expect(zoneLeft).toMatchObject({ zoneId: 'door', trackId: 1, dwellMs: (39 - 19) * 40 });
    const left = events.find((e) => e.envelope.event === EVENTS.objectLeft)!.envelope;
    expect(left.timestamp).toBe(new Date(T0 + 55 * 40).toISOString());
    expect(left.payload).toMatchObject({
      trackId: 1,
      firstSeen: { frameSeq: 0 },
      lastSeen: { frameSeq: 44 },
      dwellMs: 44 * 40,
      frames: 45,
      reason: 'lost',
    });
    const path = (left.payload as { path: Array<{ x: number }> }).path;
    expect(path[0]).toEqual({ x: 20, y: 120 });
    expect(path.at(-1)).toEqual({ x: 460, y: 120 });
    for (const e of events) expect(resultEnvelopeSchema.safeParse(e.envelope).success).toBe(true);
  });

  it('reports a line crossing with its direction, and tags every frame with its track ids', () => {
    const tracker = new SessionTracker('cam-1', ZONES, options);
    const events = run(tracker, seqs.slice(0, 52));
    const crossed = events.filter((e) => e.envelope.event === EVENTS.lineCrossed);
    expect(crossed.map((e) => e.envelope.payload)).toEqual([
      expect.objectContaining({ lineId: 'gate', trackId: 1, frameSeq: 49, direction: 'rightToLeft', point: { x: 510, y: 120 } }),
    ]);
    const tracked = events
      .filter((e) => e.envelope.event === EVENTS.frameTracked)
      .map((e) => e.envelope.payload as { frameSeq: number; tracks: unknown[] });
    expect(tracked.map((t) => t.frameSeq)).toEqual(seqs.slice(0, 52));
    expect(tracked[0]!.tracks).toEqual([]); // tentative on its first frame
    expect(tracked[5]!.tracks).toEqual([{ trackId: 1, detection: 0, label: 'face', score: 0.9, box: { x: 50, y: 100, w: 40, h: 40 } }]);
  });

  it('gives the same events and message ids when frames are processed again from a snapshot', () => {
    const straight = new SessionTracker('cam-1', ZONES, options);
    const all = run(straight, seqs, visible);
    const first = new SessionTracker('cam-1', ZONES, options);
    const head = run(first, seqs.slice(0, 30), visible);
    const resumed = new SessionTracker('cam-1', ZONES, options, JSON.parse(JSON.stringify(first.snapshot())));
    expect(resumed.lastSeq).toBe(29);
    const tail = run(resumed, seqs.slice(30), visible);
    expect([...head, ...tail]).toEqual(all);
    expect(new Set(all.map((e) => e.msgId)).size).toBe(all.length);
  });

  it('ends every track when the session goes idle or a new run starts, leaving zones first', () => {
    const tracker = new SessionTracker('cam-1', ZONES, options);
    run(tracker, seqs.slice(0, 25), walk, 'r1');
    const ended = tracker.end();
    expect(summary(ended)).toEqual(['zoneLeft@24', 'objectLeft@-']);
    expect(ended[1]!.envelope.payload).toMatchObject({ reason: 'sessionIdle', lastSeen: { frameSeq: 24 }, run: 'r1' });
    expect(tracker.end()).toEqual([]);

    const restarted = new SessionTracker('cam-1', ZONES, options);
    run(restarted, [0, 1, 2], walk, 'r1');
    const events = run(restarted, [0, 1], walk, 'r2');
    expect(summary(events)).toEqual(['objectLeft@-', 'objectAppeared@0']);
    expect(events[0]!.envelope.payload).toMatchObject({ trackId: 1, run: 'r1' });
    expect(events.find((e) => e.envelope.event === EVENTS.objectAppeared)!.envelope.payload).toMatchObject({ trackId: 2, run: 'r2' });
  });

  it('applies changed zones from the next frame and forgets memberships of removed zones', () => {
    const tracker = new SessionTracker('cam-1', ZONES, options);
    run(tracker, seqs.slice(0, 25));
    tracker.setZones({ zones: [], lines: [] });
    const events = run(tracker, seqs.slice(25, 45));
    expect(summary(events)).toEqual([]);
  });
});
