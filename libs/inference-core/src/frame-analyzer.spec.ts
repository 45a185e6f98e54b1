/**
 * The analyzer with the real default detector (BlazeFace on the CPU) and a recording publisher in place of JetStream.
 */
import { resultEnvelopeSchema, type FrameMeta, type ResultEnvelope } from '@sightline/contracts';
import type { PublishOptions } from '@sightline/messaging';
import { Detector, builtinManifest } from '@sightline/vision';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { uniformFrame } from '@sightline/vision/testing';
import { FrameAnalyzer, type FrameAnalyzerOptions } from './frame-analyzer.js';
import type { QueuedFrame } from './frame-message.js';
import { inferenceMetrics } from './inference-metrics.js';

const MODEL_SIZE = { width: 256, height: 256 };
const NOW = 1_800_000_000_000;

interface Published {
  subject: string;
  envelope: ResultEnvelope<'frameAnalyzed'>;
  options: PublishOptions;
}

function queuedFrame(overrides: Partial<FrameMeta> & Pick<FrameMeta, 'seq'>): QueuedFrame {
  const { pixels, meta } = uniformFrame(MODEL_SIZE, 128);
  return {
    pixels,
    meta: {
      ...meta,
      sessionId: 'cam-a',
      pts: overrides.seq / 60,
      captureTime: NOW - 120,
      publishedAt: NOW - 100,
      live: true,
      decodeMs: 4,
      ...overrides,
    },
    dequeuedAt: NOW - 30,
  };
}

describe('FrameAnalyzer', () => {
  let detector: Detector;
  let registry: Registry;
  let published: Published[];
  let failPublish: Error | undefined;

  const analyzer = (frameDeadlineMs = 500, fairShare?: FrameAnalyzerOptions['fairShare']) =>
    new FrameAnalyzer({
      detector,
      metrics: inferenceMetrics(registry),
      frameDeadlineMs,
      fairShare,
      now: () => NOW,
      publisher: {
        publishJson: async (subject, envelope, options = {}) => {
          if (failPublish) throw failPublish;
          published.push({ subject, envelope: envelope as ResultEnvelope<'frameAnalyzed'>, options });
          return { stream: 'RESULTS', seq: published.length, duplicate: false, domain: '' };
        },
      },
    });
  /** A sample's value by series name (histograms: `_bucket`, `_count`, `_sum`) and labels. */
  const metricValue = async (name: string, labels: Record<string, string> = {}) => {
    const samples = (await registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? m.name })),
    );
    const matches = (v: (typeof samples)[number]) => v.name === name && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l);
    return samples.find(matches)?.value;
  };

  beforeAll(async () => {
    detector = await Detector.create({ manifest: builtinManifest('blazeface-back-256'), provider: 'cpu', intraOpThreads: 1 });
  });
  afterAll(() => detector.release());
  beforeEach(() => {
    registry = new Registry();
    published = [];
    failPublish = undefined;
  });

  it('publishes one valid frameAnalyzed result per frame, keyed by session and frame sequence', async () => {
    await analyzer().analyze([queuedFrame({ seq: 41 }), queuedFrame({ seq: 7, sessionId: 'cam-b', live: false, run: 'r2' })]);

    expect(published.map((p) => [p.subject, p.options.msgId])).toEqual([
      ['results.cam-a.frameAnalyzed', 'cam-a:frameAnalyzed:41'],
      ['results.cam-b.frameAnalyzed', 'cam-b:frameAnalyzed:r2:7'],
    ]);
    // The session run travels with the result, so storage keys it by (session, run, frameSeq).
    expect(published[1]!.envelope.payload.run).toBe('r2');
    expect(published[0]!.envelope.payload.run).toBeUndefined();
    const [first] = published;
    expect(resultEnvelopeSchema.parse(first.envelope)).toEqual(first.envelope);
    expect(first.envelope).toMatchObject({
      sessionId: 'cam-a',
      event: 'frameAnalyzed',
      timestamp: new Date(NOW).toISOString(),
      payload: {
        frameSeq: 41,
        pts: 41 / 60,
        captureTime: new Date(NOW - 120).toISOString(),
        source: MODEL_SIZE,
        model: 'blazeface-back-256',
        provider: 'cpu',
        batchSize: 1,
        detections: [],
      },
    });
    const { latency } = first.envelope.payload;
    // queue = dequeue - published; total = analysis time - capture; the model stages are measured.
    expect(latency).toMatchObject({ decodeMs: 4, queueMs: 70, totalMs: 120 });
    expect(latency.inferenceMs).toBeGreaterThan(0);
    expect(latency.preprocessMs).toBeGreaterThan(0);

    expect(await metricValue('sightline_inference_frames_total', { outcome: 'analyzed' })).toBe(2);
    // A fixed-batch model runs each frame alone: two runs of one frame.
    expect(await metricValue('sightline_inference_batch_size_bucket', { le: '1', model: 'blazeface-back-256', provider: 'cpu' })).toBe(2);
    expect(await metricValue('sightline_inference_seconds_count', { model: 'blazeface-back-256', provider: 'cpu' })).toBe(2);
    expect(await metricValue('sightline_inference_frame_latency_seconds_count', { stage: 'queue' })).toBe(2);
  });

  it("labels the frame's two clocks: captureTime (ingest host) and, when the camera sent one, sourceTime (camera)", async () => {
    const fiveHoursAhead = NOW - 120 + 5 * 3600_000; // a camera clock that is simply wrong changes nothing else
    await analyzer(500).analyze([queuedFrame({ seq: 1, sourceTime: fiveHoursAhead }), queuedFrame({ seq: 2 })]);
    const [withCamera, without] = published.map((p) => p.envelope.payload);
    expect(withCamera).toMatchObject({
      captureTime: new Date(NOW - 120).toISOString(),
      sourceTime: new Date(fiveHoursAhead).toISOString(),
    });
    expect(withCamera!.latency.totalMs).toBe(120);
    expect(without).not.toHaveProperty('sourceTime');
    expect(published.map((p) => resultEnvelopeSchema.parse(p.envelope))).toEqual(published.map((p) => p.envelope));
  });

  it('skips and counts live frames past the deadline, never batch (non-live) frames', async () => {
    const stale = { captureTime: NOW - 501 };
    await analyzer(500).analyze([
      queuedFrame({ seq: 1, ...stale }),
      queuedFrame({ seq: 2, ...stale, live: false }),
      queuedFrame({ seq: 3, captureTime: NOW - 499 }),
      queuedFrame({ seq: 4, ...stale }),
    ]);
    expect(published.map((p) => p.envelope.payload.frameSeq)).toEqual([2, 3]);
    expect(await metricValue('sightline_inference_frames_total', { outcome: 'skipped_stale' })).toBe(2);
    expect(await metricValue('sightline_inference_frames_total', { outcome: 'analyzed' })).toBe(2);
  });

  it('runs nothing when the whole batch is stale, and never skips with a deadline of 0', async () => {
    await analyzer(500).analyze([queuedFrame({ seq: 1, captureTime: NOW - 60_000 })]);
    expect(published).toEqual([]);
    expect(await metricValue('sightline_inference_seconds_count', { model: 'blazeface-back-256', provider: 'cpu' })).toBeUndefined();

    await analyzer(0).analyze([queuedFrame({ seq: 2, captureTime: NOW - 60_000 })]);
    expect(published.map((p) => p.envelope.payload.frameSeq)).toEqual([2]);
  });

  it('while behind, sheds the frames of the session that had more than its share and counts every frame per session', async () => {
    const fair = analyzer(500, { pressureQueueMs: 150, windowMs: 2000 });
    // cam-a had 3 frames analysed; cam-b asked for 3 and lost them all to the deadline.
    await fair.analyze([1, 2, 3].map((seq) => queuedFrame({ seq })));
    await fair.analyze([1, 2, 3].map((seq) => queuedFrame({ seq, sessionId: 'cam-b', captureTime: NOW - 600 })));
    // Now both wait 200 ms in the queue (behind): cam-b's frames are analysed, cam-a's shed until cam-b has its share.
    const behind = { publishedAt: NOW - 200, captureTime: NOW - 250 };
    await fair.analyze([
      queuedFrame({ seq: 4, ...behind }),
      queuedFrame({ seq: 4, sessionId: 'cam-b', ...behind }),
      queuedFrame({ seq: 5, ...behind }),
      queuedFrame({ seq: 5, sessionId: 'cam-b', ...behind }),
    ]);
    expect(published.map((p) => [p.envelope.sessionId, p.envelope.payload.frameSeq])).toEqual([
      ['cam-a', 1],
      ['cam-a', 2],
      ['cam-a', 3],
      ['cam-b', 4],
      ['cam-b', 5],
    ]);
    const counts = async (session: string) =>
      Object.fromEntries(
        await Promise.all(
          (['analyzed', 'skipped_stale', 'shed_fair_share'] as const).map(async (outcome) => [
            outcome,
            await metricValue('sightline_inference_session_frames_total', { session, outcome }),
          ]),
        ),
      );
    expect(await counts('cam-a')).toEqual({ analyzed: 3, skipped_stale: undefined, shed_fair_share: 2 });
    expect(await counts('cam-b')).toEqual({ analyzed: 2, skipped_stale: 3, shed_fair_share: undefined });
    expect(await metricValue('sightline_inference_frames_total', { outcome: 'shed_fair_share' })).toBe(2);
  });

  it('rejects when a result cannot be stored, so the frames are not acknowledged', async () => {
    failPublish = Object.assign(new Error('no acknowledgement from JetStream'), { code: 'PUBLISH_UNACKNOWLEDGED' });
    await expect(analyzer().analyze([queuedFrame({ seq: 9 })])).rejects.toMatchObject({ code: 'PUBLISH_UNACKNOWLEDGED' });
    expect(await metricValue('sightline_inference_frames_total', { outcome: 'analyzed' })).toBe(0);
  });
});
