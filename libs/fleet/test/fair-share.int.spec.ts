/**
 * Three live sessions at once on one box, through real parts: GStreamer's RTSP server as a 60 fps live camera
 * (Digest), ingest's SessionManager (our RTSP client, FFmpeg, the catch-up gate) publishing to a real nats-server,
 * and one inference worker (ONNX Runtime, BlazeFace on the CPU) on the shared consumer with the fair-share arbiter.
 * Two sessions ask for every frame, one for 10 a second, so FIFO would share the detector by demand.
 *
 * Counts, not rates: every frame ingest published is accounted for in inference under one outcome (analysed,
 * skipped for its age, shed by fair share), every analysed frame has its frameAnalyzed result, every session gets
 * frames analysed, and none gets less than a quarter of its max-min fair share (min(what it asked, the mean analysed)).
 */
import { CONSUMERS, STREAMS, SUBJECTS, silentLogger, type SessionInfo } from '@sightline/contracts';
import { InferenceWorker, type FrameOutcome } from '@sightline/inference-core';
import { startGstRtspServer, type GstRtspServer } from '@sightline/local-infra';
import { Detector, DEFAULT_MODEL_ID, builtinManifest } from '@sightline/vision';
import { startIngestHarness, until, type IngestHarness } from '@sightline/video/testing';
import type { Subscription } from 'nats';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const USERNAME = 'viewer';
const PASSWORD = 'fair share';
/** Frames each session must publish before the run ends (a few seconds at 10 fps). */
const MIN_PUBLISHED = 60;

const SESSIONS = [
  { sessionId: 'fair-h264', mount: 'h264' },
  { sessionId: 'fair-ts', mount: 'ts' },
  { sessionId: 'fair-slow', mount: 'h264', maxFps: 10 },
] as const;

describe('fair share between three live sessions (GStreamer camera → ingest → inference)', () => {
  let harness: IngestHarness;
  let server: GstRtspServer;
  let detector: Detector;
  let worker: InferenceWorker | undefined;
  const registry = new Registry();

  beforeAll(async () => {
    [harness, server, detector] = await Promise.all([
      startIngestHarness({ settings: { stallTimeoutMs: 10_000 } }),
      startGstRtspServer({ live: { fps: 60 }, auth: 'digest', username: USERNAME, password: PASSWORD }),
      Detector.create({ manifest: builtinManifest(DEFAULT_MODEL_ID), provider: 'cpu', intraOpThreads: 1 }),
    ]);
  });
  afterAll(async () => {
    await worker?.stop();
    await harness?.close();
    await server?.stop();
    await detector?.release();
  });

  async function sessionCount(sessionId: string, outcome: FrameOutcome): Promise<number> {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'sightline_inference_session_frames_total');
    const sample = metric?.values.find((v) => v.labels.session === sessionId && v.labels.outcome === outcome);
    return sample?.value ?? 0;
  }

  it('accounts for every published frame and gives every session at least a quarter of its fair share analysed', async () => {
    worker = await InferenceWorker.start({
      client: harness.client,
      detector,
      logger: silentLogger,
      registry,
      maxBatch: 1,
      maxInFlight: 64,
      prefetch: 16,
      lingerMs: 2,
      frameDeadlineMs: 500,
      fairShare: { pressureQueueMs: 50, windowMs: 2000 },
    });
    // What an agent would receive: the frameAnalyzed results of each session.
    const resultsSeen = new Map<string, number>(SESSIONS.map((s) => [s.sessionId, 0]));
    const subscriptions: Subscription[] = SESSIONS.map(({ sessionId }) =>
      harness.client.connection.subscribe(SUBJECTS.result(sessionId, 'frameAnalyzed'), {
        callback: () => resultsSeen.set(sessionId, resultsSeen.get(sessionId)! + 1),
      }),
    );
    let finals: SessionInfo[];
    try {
      for (const session of SESSIONS) {
        harness.manager.start({
          sessionId: session.sessionId,
          source: {
            type: 'rtsp',
            url: `rtsp://127.0.0.1:${server.port}/${session.mount}`,
            auth: { type: 'digest', username: USERNAME, password: PASSWORD },
            ...('maxFps' in session && { maxFps: session.maxFps }),
          },
        });
      }
      await until(
        () => SESSIONS.every(({ sessionId }) => harness.manager.get(sessionId).stats.framesPublished >= MIN_PUBLISHED),
        `${MIN_PUBLISHED} frames published by every session`,
        60_000,
      );
      finals = await Promise.all(SESSIONS.map(({ sessionId }) => harness.manager.stop(sessionId)));
      // Inference has taken and settled every frame, and every result reached its subscriber.
      await until(
        async () => {
          const consumer = await harness.client.manager.consumers.info(STREAMS.frames, CONSUMERS.inference);
          return consumer.num_pending === 0 && consumer.num_ack_pending === 0;
        },
        'every frame taken and acknowledged by inference',
        30_000,
      );
      await until(
        async () => {
          for (const { sessionId } of SESSIONS) {
            if (resultsSeen.get(sessionId) !== (await sessionCount(sessionId, 'analyzed'))) return false;
          }
          return true;
        },
        'a frameAnalyzed result for every analysed frame',
        10_000,
      );
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
    }

    const rows = await Promise.all(
      SESSIONS.map(async ({ sessionId }, i) => ({
        sessionId,
        published: finals[i]!.stats.framesPublished,
        dropped: finals[i]!.stats.framesDropped,
        droppedBeforeDecode: finals[i]!.stats.framesDroppedBeforeDecode ?? 0,
        purged: finals[i]!.stats.framesPurged ?? 0,
        analyzed: await sessionCount(sessionId, 'analyzed'),
        skippedStale: await sessionCount(sessionId, 'skipped_stale'),
        shed: await sessionCount(sessionId, 'shed_fair_share'),
      })),
    );
    console.info('fair share, three live sessions:', JSON.stringify(rows));
    const meanAnalyzed = rows.reduce((n, r) => n + r.analyzed, 0) / rows.length;
    for (const row of rows) {
      // Every published frame taken off the queue once, under one counted outcome, except those ingest purged from a
      // full FRAMES backlog before inference took them (back-pressure, counted apart as framesPurged).
      expect(row.analyzed + row.skippedStale + row.shed, row.sessionId).toBe(row.published - row.purged);
      expect(resultsSeen.get(row.sessionId), row.sessionId).toBe(row.analyzed);
      expect(row.analyzed, row.sessionId).toBeGreaterThan(0);
      // Max-min fairness, with room for the box: at least a quarter of min(what it asked for, the mean). The arbiter
      // decides only among frames that reach inference in time; a decoder starved of CPU by a parallel test file can
      // still make most of one session's frames late (seen: 29 analysed against a mean of 73). Without fair sharing
      // the starved session got 7–9 of ~250 against a mean of ~45, which this bound refuses.
      expect(row.analyzed, row.sessionId).toBeGreaterThanOrEqual(Math.min(row.published, meanAnalyzed) / 4);
    }
  });
});
