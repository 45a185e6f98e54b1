/**
 * Analyses a micro-batch of frames: skips live frames past their deadline, sheds live frames of over-served sessions
 * while the worker is behind (FairShareArbiter), runs the detector once for the rest, and publishes one
 * `frameAnalyzed` result per frame. It resolves only when every result is stored in the RESULTS stream, so the
 * caller may then acknowledge the frames; a failure rejects (the frames are redelivered, and the results' message ids
 * make the retried publishes idempotent).
 */
import { EVENTS, MESSAGE_IDS, SUBJECTS, makeEnvelope, type FrameAnalyzedPayload, type LatencyBreakdown } from '@sightline/contracts';
import type { JetStreamPublisher } from '@sightline/messaging';
import type { DetectionTimings, Detector, FrameDetections } from '@sightline/vision';
import { FairShareArbiter, type FairShareOptions } from './fair-share.js';
import type { QueuedFrame } from './frame-message.js';
import type { FrameOutcome, InferenceMetrics, LatencyStage } from './inference-metrics.js';

export type FrameDetector = Pick<Detector, 'detect' | 'provider' | 'modelId'>;
export type ResultPublisher = Pick<JetStreamPublisher, 'publishJson'>;

export interface FrameAnalyzerOptions {
  detector: FrameDetector;
  publisher: ResultPublisher;
  metrics: InferenceMetrics;
  /** A live frame whose capture is older than this when its batch starts is skipped; 0 never skips. */
  frameDeadlineMs: number;
  /** Who loses when the worker is behind; absent: FIFO (only the deadline sheds). */
  fairShare?: FairShareOptions;
  /** Wall clock, epoch milliseconds. */
  now?: () => number;
}

export class FrameAnalyzer {
  private readonly now: () => number;
  private readonly arbiter?: FairShareArbiter;

  constructor(private readonly options: FrameAnalyzerOptions) {
    this.now = options.now ?? Date.now;
    if (options.fairShare && options.fairShare.pressureQueueMs > 0) this.arbiter = new FairShareArbiter(options.fairShare);
  }

  async analyze(frames: readonly QueuedFrame[]): Promise<void> {
    const { detector } = this.options;
    const startedAt = this.now();
    const admitted: QueuedFrame[] = [];
    for (const frame of frames) {
      if (this.isStale(frame, startedAt)) {
        this.arbiter?.missed(frame.meta.sessionId, startedAt);
        this.count(frame, 'skipped_stale');
      } else if (this.arbiter?.decide(frame.meta, startedAt) === 'shed') this.count(frame, 'shed_fair_share');
      else admitted.push(frame);
    }
    if (!admitted.length) return;

    const results = await detector.detect(admitted);
    const analyzedAt = this.now();
    this.observeRuns(results);
    await Promise.all(admitted.map((frame, i) => this.publish(frame, results[i], analyzedAt)));
    for (const frame of admitted) this.count(frame, 'analyzed');
  }

  /** Every frame taken off the queue is counted once, in total and for its session. */
  private count({ meta }: QueuedFrame, outcome: FrameOutcome): void {
    this.options.metrics.frames.inc({ outcome });
    this.options.metrics.sessionFrames.inc({ session: meta.sessionId, outcome });
  }

  /** Latency beats completeness for live video; batch (file) frames are always analysed. */
  private isStale({ meta }: QueuedFrame, now: number): boolean {
    const { frameDeadlineMs } = this.options;
    return meta.live && frameDeadlineMs > 0 && now - meta.captureTime > frameDeadlineMs;
  }

  /** Frames of one run share its timings object: observe each run once. */
  private observeRuns(results: readonly FrameDetections[]): void {
    const { detector, metrics } = this.options;
    const labels = { model: detector.modelId, provider: detector.provider };
    const runs = new Map<DetectionTimings, number>(results.map((r) => [r.timings, r.batchSize]));
    for (const [timings, batchSize] of runs) {
      metrics.inferenceSeconds.observe(labels, timings.inferenceMs / 1000);
      metrics.batchSize.observe(labels, batchSize);
    }
  }

  private async publish(frame: QueuedFrame, result: FrameDetections, analyzedAt: number): Promise<void> {
    const { detector, publisher } = this.options;
    const { meta } = frame;
    const latency = latencyOf(frame, result.timings, analyzedAt);
    const payload: FrameAnalyzedPayload = {
      frameSeq: meta.seq,
      ...(meta.run && { run: meta.run }),
      pts: meta.pts,
      captureTime: new Date(meta.captureTime).toISOString(),
      ...(meta.sourceTime !== undefined && { sourceTime: new Date(meta.sourceTime).toISOString() }),
      source: meta.source,
      model: detector.modelId,
      provider: detector.provider,
      batchSize: result.batchSize,
      detections: result.detections,
      latency,
    };
    const envelope = makeEnvelope(meta.sessionId, EVENTS.frameAnalyzed, payload, new Date(analyzedAt));
    await publisher.publishJson(SUBJECTS.result(meta.sessionId, EVENTS.frameAnalyzed), envelope, {
      msgId: MESSAGE_IDS.result(meta.sessionId, EVENTS.frameAnalyzed, meta.seq, meta.run),
    });
    this.observeLatency(latency);
  }

  private observeLatency(latency: LatencyBreakdown): void {
    const stages: Record<LatencyStage, number | undefined> = {
      decode: latency.decodeMs,
      queue: latency.queueMs,
      preprocess: latency.preprocessMs,
      inference: latency.inferenceMs,
      postprocess: latency.postprocessMs,
      total: latency.totalMs,
    };
    for (const [stage, ms] of Object.entries(stages)) {
      if (ms !== undefined) this.options.metrics.frameLatency.observe({ stage }, ms / 1000);
    }
  }
}

/**
 * Queue wait and total latency compare clocks of two hosts (ingest's and ours): clamped at 0, so a small clock skew
 * reads as "no wait" instead of breaking the result schema.
 */
function latencyOf({ meta, dequeuedAt }: QueuedFrame, timings: DetectionTimings, analyzedAt: number): LatencyBreakdown {
  return {
    ...(meta.decodeMs !== undefined && { decodeMs: meta.decodeMs }),
    queueMs: Math.max(0, dequeuedAt - meta.publishedAt),
    preprocessMs: timings.preprocessMs,
    inferenceMs: timings.inferenceMs,
    postprocessMs: timings.postprocessMs,
    totalMs: Math.max(0, analyzedAt - meta.captureTime),
  };
}
