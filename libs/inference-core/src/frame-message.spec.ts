import { HEADERS, type FrameMeta } from '@sightline/contracts';
import { headers } from 'nats';
import { describe, expect, it } from 'vitest';
import { decodeFrameMessage } from './frame-message.js';

const MODEL_INPUT = { width: 4, height: 2 };

const meta: FrameMeta = {
  sessionId: 'cam-1',
  seq: 7,
  pts: 0.116,
  captureTime: 1_000,
  publishedAt: 1_020,
  live: true,
  source: { width: 8, height: 2 },
  frame: { width: 4, height: 2, pixelFormat: 'rgb24' },
  letterbox: { scale: 0.5, padX: 0, padY: 0.5 },
};

function message(metaHeader: string | undefined, bytes: number) {
  const hdrs = headers();
  if (metaHeader !== undefined) hdrs.set(HEADERS.frameMeta, metaHeader);
  return { headers: hdrs, data: new Uint8Array(bytes) };
}

function decodeError(metaHeader: string | undefined, bytes: number): { code?: string; message?: string } {
  try {
    decodeFrameMessage(message(metaHeader, bytes), MODEL_INPUT);
  } catch (error) {
    return error as { code?: string; message?: string };
  }
  throw new Error('decoded a frame that should have been refused');
}

describe('decodeFrameMessage', () => {
  it('returns the metadata, the pixels and the dequeue time of a well-formed frame', () => {
    const msg = message(JSON.stringify(meta), 4 * 2 * 3);
    const frame = decodeFrameMessage(msg, MODEL_INPUT, 1_050);
    expect(frame.meta).toEqual(meta);
    expect(frame.pixels).toBe(msg.data);
    expect(frame.dequeuedAt).toBe(1_050);
  });

  it('accepts gray frames at one byte per pixel', () => {
    const gray = { ...meta, frame: { ...meta.frame, pixelFormat: 'gray' as const } };
    expect(decodeFrameMessage(message(JSON.stringify(gray), 8), MODEL_INPUT).meta.frame.pixelFormat).toBe('gray');
  });

  it('refuses a frame without metadata', () => {
    expect(decodeError(undefined, 24)).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining(HEADERS.frameMeta) });
  });

  it('refuses metadata that is not JSON or misses fields, naming the field', () => {
    expect(decodeError('{"sessionId":', 24)).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringMatching(/not valid JSON/) });
    const { letterbox: _letterbox, ...incomplete } = meta;
    expect(decodeError(JSON.stringify(incomplete), 24)).toMatchObject({
      code: 'INVALID_MESSAGE',
      message: expect.stringContaining('letterbox'),
    });
  });

  it('refuses a body whose length does not match the announced frame', () => {
    expect(decodeError(JSON.stringify(meta), 23)).toMatchObject({
      code: 'FRAME_LENGTH_MISMATCH',
      message: 'frame body has 23 bytes; 4x2 rgb24 needs 24',
    });
  });

  it('refuses a frame that is not letterboxed to the model input', () => {
    const big = { ...meta, frame: { width: 8, height: 2, pixelFormat: 'rgb24' as const } };
    expect(decodeError(JSON.stringify(big), 48)).toMatchObject({
      code: 'FRAME_SIZE_MISMATCH',
      context: { sessionId: 'cam-1', seq: 7, modelInput: MODEL_INPUT },
    });
  });
});
