import type { AnalysisMessage } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { SessionActivity } from './session-activity.js';

let seq = 0;
const at = new Date(0).toISOString();
const analyzed = (frameSeq: number, detections: number): AnalysisMessage =>
  ({
    seq: ++seq,
    sessionId: 'cam',
    timestamp: at,
    event: 'frameAnalyzed',
    payload: {
      frameSeq,
      source: { width: 1920, height: 1080 },
      detections: Array.from({ length: detections }, (_, i) => ({ label: 'face', score: 0.9, box: { x: i * 100, y: 0, w: 50, h: 50 } })),
      latency: { totalMs: 100 },
      model: 'm',
      provider: 'cpu',
    },
  }) as unknown as AnalysisMessage;
const tracked = (frameSeq: number, tracks: Array<[detection: number, trackId: number]>): AnalysisMessage =>
  ({
    seq: ++seq,
    sessionId: 'cam',
    timestamp: at,
    event: 'frameTracked',
    payload: {
      frameSeq,
      tracks: tracks.map(([detection, trackId]) => ({ detection, trackId, label: 'face', score: 0.9, box: { x: 0, y: 0, w: 1, h: 1 } })),
    },
  }) as unknown as AnalysisMessage;

describe('SessionActivity: which frame is drawn with which track ids', () => {
  it('draws the newest frame whose frameTracked arrived, the newest frame without ids otherwise', () => {
    const activity = new SessionActivity();
    activity.record(analyzed(10, 2));
    expect(activity.displayed()).toMatchObject({ frame: { frameSeq: 10 } });
    expect(activity.displayed()!.trackIds.size).toBe(0);
    activity.record(analyzed(11, 2));
    activity.record(
      tracked(10, [
        [0, 3],
        [1, 4],
      ]),
    );
    activity.record(analyzed(12, 1));
    const shown = activity.displayed()!;
    expect(shown.frame.frameSeq).toBe(10);
    expect([...shown.trackIds]).toEqual([
      [0, 3],
      [1, 4],
    ]);
    // frameTracked is not a timeline entry (it comes with every frame).
    expect(activity.timeline.map((e) => e.event)).not.toContain('frameTracked');
  });

  it('finds the frame a source picture shows: exact, else the nearest within two frames, else none', () => {
    const activity = new SessionActivity();
    for (const frameSeq of [20, 22, 24]) activity.record(analyzed(frameSeq, 1));
    activity.record(tracked(22, [[0, 9]]));
    expect(activity.frameNear(22)).toMatchObject({ frame: { frameSeq: 22 } });
    expect([...activity.frameNear(22)!.trackIds]).toEqual([[0, 9]]);
    expect(activity.frameNear(23)!.frame.frameSeq).toBe(22);
    expect(activity.frameNear(26)!.frame.frameSeq).toBe(24);
    expect(activity.frameNear(26)!.trackIds.size).toBe(0);
    expect(activity.frameNear(27)).toBeUndefined();
    expect(activity.frameNear(5)).toBeUndefined();
  });

  it('keeps only the last 32 frames', () => {
    const activity = new SessionActivity();
    for (let frameSeq = 0; frameSeq < 40; frameSeq++) activity.record(analyzed(frameSeq, 1));
    expect(activity.frameNear(7, 0)).toBeUndefined();
    expect(activity.frameNear(8, 0)!.frame.frameSeq).toBe(8);
  });
});
