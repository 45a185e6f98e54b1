/**
 * File sessions end to end against real peers: FFmpeg decoding generated 1080p60 H.264+AAC MP4s, a real nats-server
 * with the project's streams. Frames are read back from JetStream like inference reads them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeLetterbox, EVENTS, SESSION_WARNING_CODES, SUBJECTS } from '@sightline/contracts';
import { Registry } from 'prom-client';
import { frameAnalyzedResult } from '@sightline/contracts/testing';
import { SessionManager } from './session-manager.js';
import { makeCorruptMp4, makeTempDir, makeTestClip } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventCollector,
  FrameCollector,
  TEST_FRAME,
  TEST_FRAME_BYTES,
  expectOneSequence,
  framesInStream,
  startIngestHarness,
  until,
  type IngestHarness,
} from '../../test-support/ingest-harness.js';

const CLIP_SECONDS = 2;
const FPS = 60;
/** Per-session backlog in the FRAMES stream for this suite (small, so back-pressure shows within a second). */
const BACKLOG = 30;

let harness: IngestHarness;
let clip: string;

beforeAll(async () => {
  [harness, clip] = await Promise.all([
    startIngestHarness({ limits: { framesPerSession: BACKLOG } }),
    makeTestClip({ seconds: CLIP_SECONDS }), // 1920x1080, 60 fps, H.264 Main + AAC
  ]);
});
afterAll(() => harness?.close());

/** Rows of a letterboxed rgb24 frame: all-black padding above and below the picture, picture in between. */
function rowIsBlack(pixels: Uint8Array, row: number): boolean {
  const start = row * TEST_FRAME.width * 3;
  return pixels.subarray(start, start + TEST_FRAME.width * 3).every((v) => v === 0);
}

describe('file sessions', () => {
  it('publishes the frames of a paced MP4 with their metadata, at the source frame rate', async () => {
    const sessionId = 'paced';
    const [frames, events] = await Promise.all([
      FrameCollector.start(harness.client, sessionId, { keepPixels: true }),
      EventCollector.start(harness.client, sessionId),
    ]);
    harness.manager.start({ sessionId, source: { type: 'file', url: clip, pacing: 'realtime' } });
    const final = await harness.manager.whenEnded(sessionId);
    const { framesIn, framesPublished, framesDropped, framesSkipped } = final.stats;
    await until(() => frames.frames.length >= framesPublished, 'all published frames');
    await events.waitFor('sessionStopped');
    await Promise.all([frames.stop(), events.stop()]);

    // A paced file is a live source: a publisher stall longer than the local queue (8 frames) would drop frames, and
    // every one of them must be counted. On a machine with CPU to spare there are none.
    expect(final.state).toBe('stopped');
    expect(framesIn).toBe(CLIP_SECONDS * FPS);
    expect(framesSkipped).toBe(0);
    expect(framesPublished + framesDropped).toBe(framesIn);
    expect(events.names()).toEqual(['sessionStarted', 'sessionStopped']);
    expect(events.of('sessionStarted')[0]!.payload).toEqual({ source: { type: 'file', url: clip }, live: true });
    expect(events.of('sessionStopped')[0]!.payload).toEqual({ reason: 'endOfStream', framesPublished, framesDropped });

    const metas = frames.frames.map((f) => f.meta);
    expectOneSequence(
      metas.map((m) => m.seq),
      framesDropped,
    );
    // One run id for this start of the session, on every frame (it keeps a later start's frames apart).
    expect(new Set(metas.map((m) => m.run)).size).toBe(1);
    expect(metas[0]!.run).toMatch(/^[a-z0-9]+$/);
    const plan = computeLetterbox({ width: 1920, height: 1080 }, TEST_FRAME);
    for (const { meta, bytes } of frames.frames) {
      expect(bytes).toBe(TEST_FRAME_BYTES);
      expect(meta).toMatchObject({
        sessionId,
        live: true,
        source: { width: 1920, height: 1080 },
        frame: TEST_FRAME,
        letterbox: { scale: plan.scale, padX: plan.padX, padY: plan.padY },
      });
      expect(meta.pts).toBeCloseTo(meta.seq / FPS, 3);
      expect(meta.publishedAt).toBeGreaterThanOrEqual(meta.captureTime);
      expect(meta.decodeMs).toBeUndefined(); // not measurable for files
    }
    // Paced like a camera: capture times advance with the presentation times (not all at once).
    const captureSpan = (metas.at(-1)!.captureTime - metas[0]!.captureTime) / 1000;
    const ptsSpan = metas.at(-1)!.pts - metas[0]!.pts;
    expect(captureSpan).toBeGreaterThan(ptsSpan * 0.85);
    // The picture sits where the letterbox says: black bars of padY rows above and below, content in between.
    const pixels = frames.frames[30]!.pixels!;
    expect(rowIsBlack(pixels, 0) && rowIsBlack(pixels, plan.padY - 1)).toBe(true);
    expect(rowIsBlack(pixels, plan.padY)).toBe(false);
    expect(rowIsBlack(pixels, plan.padY + plan.scaledHeight - 1)).toBe(false);
    expect(rowIsBlack(pixels, plan.padY + plan.scaledHeight)).toBe(true);
    console.info(
      `paced: ${metas.length} frames (${framesDropped} dropped) over ${captureSpan.toFixed(2)} s of capture time for ${ptsSpan.toFixed(2)} s of video`,
    );
  });

  it('fast (batch) mode waits for a full backlog instead of dropping, then delivers every frame in order', async () => {
    const sessionId = 'batch';
    harness.manager.start({ sessionId, source: { type: 'file', url: clip, pacing: 'fast' } });
    // Nobody consumes yet: the session's backlog fills up to the stream's per-session limit, and ingest waits.
    await until(async () => (await framesInStream(harness.client, sessionId)) === BACKLOG, 'a full backlog');
    await new Promise((r) => setTimeout(r, 1000));
    expect(harness.manager.get(sessionId)).toMatchObject({ state: 'live', stats: { framesPublished: BACKLOG, framesDropped: 0 } });

    const startedAt = Date.now();
    const frames = await FrameCollector.start(harness.client, sessionId);
    const final = await harness.manager.whenEnded(sessionId);
    await until(() => frames.frames.length >= CLIP_SECONDS * FPS, 'all frames');
    await frames.stop();
    const seconds = (Date.now() - startedAt) / 1000;

    expect(final).toMatchObject({ state: 'stopped', stats: { framesPublished: 120, framesDropped: 0 } });
    expectOneSequence(
      frames.frames.map((f) => f.meta.seq),
      0,
    );
    expect(frames.frames.every((f) => !f.meta.live && f.bytes === TEST_FRAME_BYTES)).toBe(true);
    console.info(
      `fast: ${frames.frames.length} frames consumed in ${seconds.toFixed(2)} s (${(frames.frames.length / seconds).toFixed(0)} fps)`,
    );
  });

  it('analyses at most maxFps frames per second of video, evenly spaced, and counts the rest as skipped', async () => {
    const sessionId = 'thinned';
    const [frames, events] = await Promise.all([
      FrameCollector.start(harness.client, sessionId),
      EventCollector.start(harness.client, sessionId),
    ]);
    harness.manager.start({ sessionId, source: { type: 'file', url: clip, pacing: 'fast', maxFps: 20 } });
    const final = await harness.manager.whenEnded(sessionId);
    await until(() => frames.frames.length >= final.stats.framesPublished, 'all published frames');
    await events.waitFor('sessionStopped');
    await Promise.all([frames.stop(), events.stop()]);
    expect(events.of('sessionStopped')[0]!.payload).toEqual({
      reason: 'endOfStream',
      framesPublished: 40,
      framesDropped: 0,
      framesSkipped: 80,
    });

    // 60 fps → 20 fps: every third frame, nothing dropped, one unbroken sequence of the frames that were published.
    expect(final.stats).toMatchObject({ framesIn: 120, framesPublished: 40, framesSkipped: 80, framesDropped: 0 });
    const metas = frames.frames.map((f) => f.meta);
    expectOneSequence(
      metas.map((m) => m.seq),
      0,
    );
    metas.forEach((meta, i) => expect(meta.pts).toBeCloseTo((3 * i) / FPS, 3));
  });

  it('drops the oldest frames of a live session when nobody keeps up, and counts them', async () => {
    const sessionId = 'backpressure';
    harness.manager.start({ sessionId, source: { type: 'file', url: clip, pacing: 'realtime', loop: true } });
    await until(() => harness.manager.get(sessionId).stats.framesDropped >= 30, 'drops', 20_000);
    const stopped = await harness.manager.stop(sessionId);
    const { framesIn, framesPublished, framesDropped, framesPurged = 0 } = stopped.stats;

    // Every decoded frame is accounted for: published (and maybe purged later, a drop counted apart as well), dropped
    // before publication, or discarded from the small local queue (8 frames) when the session stopped. Nobody took a
    // frame, so all but the BACKLOG newest published ones were purged.
    expect(framesPublished).toBeGreaterThan(BACKLOG);
    expect(framesPurged).toBe(framesPublished - BACKLOG);
    expect(framesDropped).toBeGreaterThanOrEqual(framesPurged);
    expect(framesIn).toBeLessThanOrEqual(framesPublished + framesDropped + 8);
    // The stream keeps exactly the newest BACKLOG frames of the session: the oldest were evicted to make room.
    expect(await framesInStream(harness.client, sessionId)).toBe(BACKLOG);
    const frames = await FrameCollector.start(harness.client, sessionId);
    await until(() => frames.frames.length >= BACKLOG, 'the backlog');
    await frames.stop();
    // ...the newest ones: at least framesPublished - BACKLOG frames (all with lower seqs) were published before them.
    const seqs = frames.frames.map((f) => f.meta.seq);
    expect(seqs.slice(1).every((s, i) => s > seqs[i]!)).toBe(true);
    expect(seqs[0]).toBeGreaterThanOrEqual(framesPublished - BACKLOG);
    expect(seqs.at(-1)).toBeLessThan(framesIn);

    const metrics = await harness.registry.getSingleMetricAsString('sightline_ingest_frames_total');
    const series = (outcome: string) =>
      Number(metrics.match(new RegExp(`sightline_ingest_frames_total\\{session="${sessionId}",outcome="${outcome}"\\} (\\d+)`))?.[1] ?? 0);
    expect(series('published')).toBe(framesPublished);
    expect(series('purged')).toBe(framesPurged);
    expect(series('dropped')).toBe(framesDropped - framesPurged);
  });

  it('publishes what a truncated MP4 holds and reports the damage as a non-fatal source error', async () => {
    const dir = await makeTempDir('ingest-truncated');
    const whole = readFileSync(await makeTestClip({ seconds: 2, width: 640, height: 360, fps: 30 }));
    const truncated = join(dir, 'truncated.mp4');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const sessionId = 'truncated';
    const events = await EventCollector.start(harness.client, sessionId);
    harness.manager.start({ sessionId, source: { type: 'file', url: truncated, pacing: 'fast' } });
    const frames = await FrameCollector.start(harness.client, sessionId);
    const final = await harness.manager.whenEnded(sessionId);
    await events.waitFor('sessionStopped');
    await Promise.all([frames.stop(), events.stop()]);

    expect(final.state).toBe('stopped');
    expect(final.stats.framesPublished).toBeGreaterThan(10);
    expect(final.stats.framesPublished).toBeLessThan(60);
    expect(events.names()).toEqual(['sessionStarted', 'sourceError', 'sessionStopped']);
    expect(events.of('sourceError')[0]!.payload).toMatchObject({ code: 'SOURCE_CORRUPT', fatal: false });
    expect(events.of('sessionStopped')[0]!.payload).toMatchObject({ reason: 'endOfStream' });
  });

  it('reports a corrupt MP4, a missing file and a missing capture device as fatal source errors while another session keeps running', async () => {
    const dir = await makeTempDir('ingest-corrupt');
    const corrupt = await makeCorruptMp4(join(dir, 'corrupt.mp4'));
    const healthy = 'healthy';
    const healthyFrames = await FrameCollector.start(harness.client, healthy);
    harness.manager.start({ sessionId: healthy, source: { type: 'file', url: clip, pacing: 'realtime', loop: true } });
    await until(() => healthyFrames.frames.length > 10, 'healthy frames');

    const outcomes = [];
    for (const [sessionId, type, url, code] of [
      ['corrupt', 'file', corrupt, 'SOURCE_CORRUPT'],
      ['missing', 'file', join(dir, 'missing.mp4'), 'SOURCE_NOT_FOUND'],
      ['no-device', 'device', '/dev/video63', 'SOURCE_NOT_FOUND'],
    ] as const) {
      const events = await EventCollector.start(harness.client, sessionId);
      harness.manager.start({ sessionId, source: { type, url } });
      const final = await harness.manager.whenEnded(sessionId);
      await events.waitFor('sessionStopped');
      await events.stop();
      expect(final).toMatchObject({ state: 'error', lastError: { code }, stats: { framesPublished: 0, reconnects: 0 } });
      expect(events.names()).toEqual(['sessionStarted', 'sourceError', 'sessionStopped']);
      expect(events.of('sourceError')[0]!.payload).toMatchObject({ code, fatal: true });
      expect(events.of('sessionStopped')[0]!.payload).toMatchObject({ reason: 'error' });
      outcomes.push(`${sessionId}: ${events.of('sourceError')[0]!.payload.message}`);
    }

    const before = healthyFrames.frames.length;
    await until(() => healthyFrames.frames.length > before + 30, 'healthy frames after the failures');
    expect(harness.manager.get(healthy).state).toBe('live');
    const healthyFinal = await harness.manager.stop(healthy);
    await healthyFrames.stop();
    expectOneSequence(
      healthyFrames.frames.map((f) => f.meta.seq),
      healthyFinal.stats.framesDropped,
    );
    console.info(outcomes.join('\n'));
  });
});

describe('frames in, no results out', () => {
  it('warns NO_RESULTS on the session status and health detail while nothing analyses its frames, and clears it on a real result', async () => {
    const small = await makeTestClip({ seconds: 2, width: 320, height: 180, fps: 30, audio: false });
    // A manager of its own on the suite's NATS, with a short no-results bound (the suite's manager keeps the default).
    const manager = new SessionManager(
      { client: harness.client, publisher: harness.publisher, registry: new Registry() },
      { ...harness.manager.settings, noResultsWarnMs: 1000 },
    );
    const sessionId = 'no-results';
    const events = await EventCollector.start(harness.client, sessionId);
    try {
      manager.start({ sessionId, source: { type: 'file', url: small, loop: true } });
      const warned = await until(() => manager.warnings()?.[sessionId], 'the NO_RESULTS warning');
      expect(warned).toEqual([expect.objectContaining({ code: SESSION_WARNING_CODES.noResults })]);
      expect(manager.get(sessionId)).toMatchObject({ state: 'live', warnings: [{ code: 'NO_RESULTS' }], stats: { resultsSeen: 0 } });
      const warning = await events.waitFor('sourceError');
      expect(warning.payload).toMatchObject({ code: 'NO_RESULTS', fatal: false });

      // What inference publishes for one of its frames, onto the real RESULTS stream.
      await harness.publisher.publishJson(SUBJECTS.result(sessionId, EVENTS.frameAnalyzed), frameAnalyzedResult(sessionId, 3));
      await until(() => manager.get(sessionId).stats.resultsSeen === 1, 'the result seen');
      expect(manager.get(sessionId).warnings).toBeUndefined();
      expect(manager.warnings()).toBeUndefined();
    } finally {
      await manager.stopAll();
      await events.stop();
    }
    expect(events.of('sourceError').filter((e) => e.payload.code === 'NO_RESULTS')).toHaveLength(1);
  });
});
