/**
 * Turns a message of the FRAMES stream into a frame ready for the detector, or says precisely why it cannot be one.
 * Every check here is permanent (retrying cannot fix a frame), so a throw dead-letters the message at once.
 */
import {
  HEADERS,
  InvalidMessageError,
  SightlineError,
  frameByteLength,
  frameMetaSchema,
  parseJson,
  type FrameMeta,
  type Size,
} from '@sightline/contracts';
import type { JsMsg } from 'nats';
import { InferenceErrorCode } from './errors.js';

export interface QueuedFrame {
  meta: FrameMeta;
  /** Letterboxed pixels, exactly `frameByteLength(meta)` bytes. */
  pixels: Uint8Array;
  /** When this replica took the frame off the queue, epoch milliseconds (the end of the queue wait). */
  dequeuedAt: number;
}

export function decodeFrameMessage(msg: Pick<JsMsg, 'headers' | 'data'>, modelInput: Size, dequeuedAt = Date.now()): QueuedFrame {
  const header = msg.headers?.get(HEADERS.frameMeta);
  if (!header) throw new InvalidMessageError(`frame has no ${HEADERS.frameMeta} header`);
  const meta = parseJson(frameMetaSchema, header, 'frame meta');
  const { width, height, pixelFormat } = meta.frame;
  const context = { sessionId: meta.sessionId, seq: meta.seq, frame: meta.frame };
  const expectedBytes = frameByteLength(meta);
  if (msg.data.length !== expectedBytes) {
    throw new SightlineError(
      InferenceErrorCode.frameLengthMismatch,
      `frame body has ${msg.data.length} bytes; ${width}x${height} ${pixelFormat} needs ${expectedBytes}`,
      { ...context, bytes: msg.data.length, expectedBytes },
    );
  }
  if (width !== modelInput.width || height !== modelInput.height) {
    throw new SightlineError(
      InferenceErrorCode.frameSizeMismatch,
      `frame is ${width}x${height}, the model input is ${modelInput.width}x${modelInput.height}; ingest must letterbox to the model size`,
      { ...context, modelInput },
    );
  }
  return { meta, pixels: msg.data, dequeuedAt };
}
