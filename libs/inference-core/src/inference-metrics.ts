/** The inference service's own metrics (the PullWorker adds consumer throughput, lag and ack-pending gauges). */
import { LATENCY_BUCKETS } from '@sightline/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * What became of a frame taken off the queue: analysed; skipped as older than the deadline; shed by the fair-share
 * arbiter because the worker was behind and its session had more than its share.
 */
export const FRAME_OUTCOMES = ['analyzed', 'skipped_stale', 'shed_fair_share'] as const;
export type FrameOutcome = (typeof FRAME_OUTCOMES)[number];

/** Per-frame latency stages, as in the frameAnalyzed payload's `latency`. */
export const LATENCY_STAGES = ['decode', 'queue', 'preprocess', 'inference', 'postprocess', 'total'] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];

export interface InferenceMetrics {
  /** One observation per inference run (a batch), ONNX Runtime `run()` only. */
  inferenceSeconds: Histogram<'model' | 'provider'>;
  batchSize: Histogram<'model' | 'provider'>;
  frames: Counter<'outcome'>;
  /** The same, per session: the counts the fair-share arbiter equalises. */
  sessionFrames: Counter<'session' | 'outcome'>;
  /** Frames received again because the replica that had them did not acknowledge in time (crash, overload). */
  redeliveredFrames: Counter;
  frameLatency: Histogram<'stage'>;
  providerInfo: Gauge<'provider' | 'model'>;
}

const metricsByRegistry = new WeakMap<Registry, InferenceMetrics>();

/** One set per registry (prom-client refuses a second metric of the same name). */
export function inferenceMetrics(registry: Registry): InferenceMetrics {
  const existing = metricsByRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: InferenceMetrics = {
    inferenceSeconds: new Histogram({
      name: 'sightline_inference_seconds',
      help: 'ONNX Runtime time per inference run (one batch)',
      labelNames: ['model', 'provider'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    batchSize: new Histogram({
      name: 'sightline_inference_batch_size',
      help: 'Frames per inference run',
      labelNames: ['model', 'provider'],
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    }),
    frames: new Counter({
      name: 'sightline_inference_frames_total',
      help: 'Frames taken off the queue, by outcome (analyzed, skipped_stale: a live frame older than the deadline, shed_fair_share: shed while behind because its session had more than its share)',
      labelNames: ['outcome'],
      registers,
    }),
    sessionFrames: new Counter({
      name: 'sightline_inference_session_frames_total',
      help: 'Frames taken off the queue per session, by outcome (as sightline_inference_frames_total)',
      labelNames: ['session', 'outcome'],
      registers,
    }),
    redeliveredFrames: new Counter({
      name: 'sightline_inference_frames_redelivered_total',
      help: 'Frames delivered again after another delivery was not acknowledged in time (a replica crashed or stalled)',
      registers,
    }),
    frameLatency: new Histogram({
      name: 'sightline_inference_frame_latency_seconds',
      help: 'Per-frame latency by stage (decode in ingest, queue wait, pre-processing, inference, post-processing, capture to result)',
      labelNames: ['stage'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    providerInfo: new Gauge({
      name: 'sightline_inference_provider_info',
      help: 'Constant 1, labelled with the execution provider actually in use and the model id',
      labelNames: ['provider', 'model'],
      registers,
    }),
  };
  // Both outcomes exist from the start, so rates and alerts see 0 rather than no series.
  for (const outcome of FRAME_OUTCOMES) metrics.frames.inc({ outcome }, 0);
  metricsByRegistry.set(registry, metrics);
  return metrics;
}
