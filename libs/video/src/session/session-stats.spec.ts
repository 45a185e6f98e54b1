import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IngestMetrics } from '../metrics.js';
import { SessionStats } from './session-stats.js';

/** Stats over a real registry on a clock the test sets. */
function makeStats() {
  const registry = new Registry();
  const clock = { now: 1_750_000_000_000 };
  const stats = new SessionStats(new IngestMetrics(registry).forSession('cam1'), () => clock.now);
  const series = async (name: string) => (await registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));
  return { stats, clock, series };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionStats', () => {
  it('counts each outcome in the stats and in the frames series alike', async () => {
    const { stats, series } = makeStats();
    for (let i = 0; i < 10; i++) stats.frameIn(i < 4 ? 2 : undefined);
    for (let i = 0; i < 6; i++) stats.published();
    stats.skipped();
    stats.dropped(2);
    stats.droppedBeforeDecode(5);
    stats.purged(3);
    stats.reconnect();
    stats.resultSeen();
    stats.resultSeen();
    stats.clockOffset(-420);

    expect(stats.snapshot()).toEqual({
      framesIn: 10,
      framesSkipped: 1,
      framesPublished: 6,
      framesDropped: 10,
      framesDroppedBeforeDecode: 5,
      framesPurged: 3,
      framesNotTimed: 0,
      reconnects: 1,
      resultsSeen: 2,
      fpsIn: 0,
      fpsOut: 0,
      sourceClockOffsetMs: -420,
    });
    expect(stats.resultsSeen).toBe(2);
    expect(await series('sightline_ingest_frames_total')).toEqual([
      'sightline_ingest_frames_total{session="cam1",outcome="published"} 6',
      'sightline_ingest_frames_total{session="cam1",outcome="dropped"} 7',
      'sightline_ingest_frames_total{session="cam1",outcome="purged"} 3',
    ]);
    expect(await series('sightline_ingest_decode_seconds')).toContain('sightline_ingest_decode_seconds_count{session="cam1"} 4');
    expect(await series('sightline_ingest_reconnects_total')).toEqual(['sightline_ingest_reconnects_total{session="cam1"} 1']);
    expect(await series('sightline_ingest_results_seen_total')).toEqual(['sightline_ingest_results_seen_total{session="cam1"} 2']);
    expect(await series('sightline_ingest_source_clock_offset_seconds')).toEqual([
      'sightline_ingest_source_clock_offset_seconds{session="cam1"} -0.42',
    ]);
  });

  it('counts decoded frames without a time of their own as decoded, apart, and in the frames series', async () => {
    const { stats, series } = makeStats();
    for (let i = 0; i < 7; i++) stats.frameIn();
    stats.notTimed();
    stats.notTimed();
    for (let i = 0; i < 5; i++) stats.published();
    stats.skipped();
    stats.dropped(1);
    stats.droppedBeforeDecode(3);
    stats.purged(2);

    const counts = stats.snapshot();
    expect(counts).toMatchObject({
      framesIn: 9,
      framesNotTimed: 2,
      framesPublished: 5,
      framesSkipped: 1,
      framesDropped: 6,
      framesPurged: 2,
    });
    // Every decoded frame is accounted for once; units dropped before decoding never were frames, and purged frames
    // were published first.
    const droppedBeforePublishing = counts.framesDropped - counts.framesDroppedBeforeDecode! - counts.framesPurged!;
    expect(counts.framesPublished + counts.framesSkipped + counts.framesNotTimed! + droppedBeforePublishing).toBe(counts.framesIn);
    expect(await series('sightline_ingest_frames_total')).toEqual([
      'sightline_ingest_frames_total{session="cam1",outcome="not_timed"} 2',
      'sightline_ingest_frames_total{session="cam1",outcome="published"} 5',
      'sightline_ingest_frames_total{session="cam1",outcome="dropped"} 4',
      'sightline_ingest_frames_total{session="cam1",outcome="purged"} 2',
    ]);
  });

  it('rates are frames per second since the previous update, to one decimal', async () => {
    const { stats, clock, series } = makeStats();
    for (let i = 0; i < 30; i++) stats.frameIn();
    for (let i = 0; i < 20; i++) stats.published();
    clock.now += 1000;
    stats.updateRates();
    expect(stats.snapshot()).toMatchObject({ fpsIn: 30, fpsOut: 20 });

    for (let i = 0; i < 10; i++) stats.frameIn();
    stats.published();
    clock.now += 1500;
    stats.updateRates();
    expect(stats.snapshot()).toMatchObject({ fpsIn: 6.7, fpsOut: 0.7 });
    expect(await series('sightline_ingest_fps')).toEqual([
      'sightline_ingest_fps{session="cam1",direction="in"} 6.7',
      'sightline_ingest_fps{session="cam1",direction="out"} 0.7',
    ]);

    stats.updateRates(); // no time passed: the rates stand
    expect(stats.snapshot()).toMatchObject({ fpsIn: 6.7, fpsOut: 0.7 });
  });

  it('ticks the rates and the session’s checks every tick until stopped, which zeroes the rates', async () => {
    vi.useFakeTimers({ now: 1_750_000_000_000 });
    const registry = new Registry();
    const stats = new SessionStats(new IngestMetrics(registry).forSession('cam1'));
    const ticks: Array<{ fpsIn: number }> = [];
    stats.startTicker(500, () => ticks.push({ fpsIn: stats.snapshot().fpsIn }));
    for (let i = 0; i < 25; i++) stats.frameIn();
    vi.advanceTimersByTime(500);
    for (let i = 0; i < 10; i++) stats.frameIn();
    vi.advanceTimersByTime(500);
    expect(ticks).toEqual([{ fpsIn: 50 }, { fpsIn: 20 }]);

    stats.stopTicker();
    vi.advanceTimersByTime(5000);
    expect(ticks).toHaveLength(2);
    expect(stats.snapshot()).toMatchObject({ framesIn: 35, fpsIn: 0, fpsOut: 0 });
    expect(await registry.getSingleMetricAsString('sightline_ingest_fps')).toContain('direction="in"} 0');
  });
});
