/** Result envelopes for tests: what the inference service publishes, without running it. */
import { EVENTS, makeEnvelope, type Detection, type ResultEnvelope } from '@sightline/contracts';

export interface FrameResultOptions {
  /** Faces in the result (default 1), each with a box and the 6 BlazeFace keypoints. */
  detections?: number;
  /** Default: now. */
  captureTime?: Date;
  /** The envelope's timestamp (when the result was made). Default: the capture time. */
  timestamp?: Date;
}

/** A valid `frameAnalyzed` envelope for frame `frameSeq` of `sessionId`. */
export function frameAnalyzedResult(
  sessionId: string,
  frameSeq: number,
  options: FrameResultOptions = {},
): ResultEnvelope<'frameAnalyzed'> {
  const captureTime = options.captureTime ?? new Date();
  const detections: Detection[] = Array.from({ length: options.detections ?? 1 }, (_, i) => ({
    label: 'face',
    score: 0.9,
    box: { x: 10 + 100 * i, y: 20 + frameSeq, w: 64, h: 64 },
    keypoints: Array.from({ length: 6 }, (_, k) => ({ x: 12.5 + k, y: 30.25 + k })),
  }));
  return makeEnvelope(
    sessionId,
    EVENTS.frameAnalyzed,
    {
      frameSeq,
      pts: frameSeq / 60,
      captureTime: captureTime.toISOString(),
      source: { width: 1920, height: 1080 },
      model: 'blazeface-back-256',
      provider: 'cpu',
      batchSize: 1,
      detections,
      latency: { queueMs: 1, preprocessMs: 2, inferenceMs: 5, postprocessMs: 1, totalMs: 9 },
    },
    options.timestamp ?? captureTime,
  );
}
