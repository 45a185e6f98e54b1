import { type Detection } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { ByteTracker, DEFAULT_TRACKER_OPTIONS, pathSummary } from './byte-tracker.js';

const face = (x: number, y: number, score = 0.9, size = 40): Detection => ({ label: 'face', score, box: { x, y, w: size, h: size } });
const frame = (seq: number) => ({ seq, atMs: 1_000_000 + seq * 40 });

/** Runs frames through a tracker and returns, per frame, the track id of each detection (0 = none). */
function idsPerFrame(tracker: ByteTracker, frames: Detection[][], firstSeq = 0): number[][] {
  return frames.map((detections, i) => {
    const update = tracker.update(frame(firstSeq + i), detections);
    return detections.map((_, d) => update.assigned.find((a) => a.detection === d)?.track.id ?? 0);
  });
}

describe('ByteTracker', () => {
  it('confirms a track on its second detection and keeps its id while the object moves', () => {
    const tracker = new ByteTracker();
    const ids = idsPerFrame(
      tracker,
      Array.from({ length: 10 }, (_, i) => [face(10 + 8 * i, 50), face(400, 300 - 5 * i)]),
    );
    expect(ids[0]).toEqual([0, 0]);
    for (const row of ids.slice(1)) expect(row).toEqual([1, 2]);
  });

  it('never gives an id to a one-frame false positive', () => {
    const tracker = new ByteTracker();
    const updates = [[face(0, 0)], [face(0, 0), face(500, 500)], [face(0, 0)], [face(0, 0)]].map((d, i) => tracker.update(frame(i), d));
    expect(updates.flatMap((u) => u.confirmed.map((t) => t.id))).toEqual([1]);
    expect(tracker.tracks).toHaveLength(1);
  });

  it('keeps a track alive on low-score detections (second association stage)', () => {
    const tracker = new ByteTracker();
    const scores = [0.9, 0.9, 0.3, 0.25, 0.3, 0.9];
    const ids = idsPerFrame(
      tracker,
      scores.map((s, i) => [face(100 + 5 * i, 100, s)]),
    );
    expect(ids.slice(1).map((r) => r[0])).toEqual([1, 1, 1, 1, 1]);
    expect(tracker.tracks[0]!.hits).toBe(6);
  });

  it('does not start tracks from low-score detections', () => {
    const tracker = new ByteTracker();
    const updates = [0, 1, 2].map((i) => tracker.update(frame(i), [face(100, 100, 0.4)]));
    expect(updates.every((u) => u.confirmed.length === 0)).toBe(true);
    expect(tracker.tracks).toEqual([]);
  });

  it('keeps identities through an occlusion and across a crossing, thanks to the predicted motion', () => {
    const tracker = new ByteTracker();
    // A moves right, B moves left, 12 px apart vertically: they overlap almost completely mid-way.
    const frames = Array.from({ length: 30 }, (_, i) => {
      const a = face(20 + 10 * i, 100);
      const b = face(310 - 10 * i, 112);
      // Frames 17–20: B hidden behind A (only A detected).
      return i >= 17 && i <= 20 ? [a] : [a, b];
    });
    const ids = idsPerFrame(tracker, frames);
    expect(ids[1]).toEqual([1, 2]);
    for (let i = 1; i < 30; i++) expect(ids[i]![0]).toBe(1);
    for (let i = 21; i < 30; i++) expect(ids[i]![1]).toBe(2);
  });

  it('predicts across frames missing upstream (sequence gaps)', () => {
    const tracker = new ByteTracker();
    // 20 px per frame; frames 10..13 never arrive: at frame 14 the object is 100 px from where it was last seen,
    // more than its own width, so only a prediction over the 5-frame gap can match it.
    const seqs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15];
    const updates = seqs.map((seq) => tracker.update(frame(seq), [face(20 * seq, 0, 0.9, 60)]));
    expect(updates.slice(-2).map((u) => u.assigned.map((a) => a.track.id))).toEqual([[1], [1]]);
    expect(updates.flatMap((u) => u.confirmed)).toHaveLength(1);
  });

  it('removes a confirmed track after maxLostFrames without detections, and keeps it until then', () => {
    const tracker = new ByteTracker({ ...DEFAULT_TRACKER_OPTIONS, maxLostFrames: 5 });
    tracker.update(frame(0), [face(0, 0)]);
    tracker.update(frame(1), [face(2, 0)]);
    const removedAt = [2, 3, 4, 5, 6, 7].map((seq) => tracker.update(frame(seq), []).removed.map((t) => t.id));
    expect(removedAt).toEqual([[], [], [], [], [], [1]]);
    expect(tracker.tracks).toEqual([]);
  });

  it('never associates detections of different classes', () => {
    const tracker = new ByteTracker();
    tracker.update(frame(0), [face(0, 0)]);
    tracker.update(frame(1), [face(0, 0)]);
    const update = tracker.update(frame(2), [{ ...face(0, 0), label: 'person' }]);
    expect(update.assigned).toEqual([]);
    expect(tracker.tracks.map((t) => [t.label, t.status])).toEqual([
      ['face', 'lost'],
      ['person', 'tentative'],
    ]);
  });

  it('resumes from a snapshot exactly as if it had never stopped', () => {
    const frames = Array.from({ length: 20 }, (_, i) => [face(10 + 6 * i, 40), face(300 - 4 * i, 200, i % 3 ? 0.9 : 0.35)]);
    const straight = new ByteTracker();
    const expected = idsPerFrame(straight, frames);
    const first = new ByteTracker();
    const head = idsPerFrame(first, frames.slice(0, 9));
    const resumed = new ByteTracker(DEFAULT_TRACKER_OPTIONS, JSON.parse(JSON.stringify(first.snapshot())));
    expect([...head, ...idsPerFrame(resumed, frames.slice(9), 9)]).toEqual(expected);
  });

  it('summarises a long path as at most 8 points from the first to the last detection', () => {
    const tracker = new ByteTracker();
    for (let i = 0; i < 100; i++) tracker.update(frame(i), [face(3 * i, 0, 0.9, 60)]);
    const path = pathSummary(tracker.tracks[0]!);
    expect(path).toHaveLength(8);
    expect(path[0]).toEqual({ x: 30, y: 30 });
    expect(path[7]).toEqual({ x: 3 * 99 + 30, y: 30 });
    for (let i = 1; i < 8; i++) expect(path[i]!.x).toBeGreaterThan(path[i - 1]!.x);
  });
});
