import { SightlineError } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { ReconnectPolicy, isFatal, sourceErrorCode } from './reconnect-policy.js';

describe('ReconnectPolicy', () => {
  it('doubles the delay per attempt up to the cap', () => {
    const policy = new ReconnectPolicy({ initialDelayMs: 1000, maxDelayMs: 30_000, random: () => 0.5 });
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((a) => policy.delayMs(a))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('jitters by ±20 % without exceeding the cap', () => {
    const low = new ReconnectPolicy({ initialDelayMs: 1000, maxDelayMs: 30_000, random: () => 0 });
    const high = new ReconnectPolicy({ initialDelayMs: 1000, maxDelayMs: 30_000, random: () => 0.999999 });
    expect(low.delayMs(1)).toBe(800);
    expect(high.delayMs(1)).toBe(1200);
    expect(high.delayMs(10)).toBe(30_000);
  });
});

describe('fatal failures', () => {
  it('never retries bad credentials, unsupported media or corrupt input', () => {
    for (const code of [
      'RTSP_UNAUTHORIZED',
      'RTSP_UNSUPPORTED_MEDIA',
      'UNSUPPORTED_CODEC',
      'SOURCE_CORRUPT',
      'INVALID_SOURCE',
      'FRAME_TOO_LARGE',
    ]) {
      expect(isFatal(code, { sourceType: 'rtsp', everLive: true })).toBe(true);
    }
  });

  it('retries outages of live sources, even before they first worked', () => {
    for (const code of ['RTSP_CONNECT_FAILED', 'RTSP_TIMEOUT', 'RTSP_STREAM_ENDED', 'SOURCE_STALLED', 'DECODE_FAILED']) {
      expect(isFatal(code, { sourceType: 'rtsp', everLive: false })).toBe(false);
    }
    expect(isFatal('SOURCE_NOT_FOUND', { sourceType: 'device', everLive: true })).toBe(false);
  });

  it('gives up on a missing source, and on a file that never decoded', () => {
    expect(isFatal('SOURCE_NOT_FOUND', { sourceType: 'device', everLive: false })).toBe(true);
    expect(isFatal('DECODE_FAILED', { sourceType: 'file', everLive: false })).toBe(true);
    expect(isFatal('DECODE_FAILED', { sourceType: 'file', everLive: true })).toBe(false);
  });

  it('reports an RTSP 404 as SOURCE_NOT_FOUND', () => {
    expect(sourceErrorCode(new SightlineError('RTSP_PROTOCOL', 'DESCRIBE failed: 404 Not Found', { status: 404 }))).toBe(
      'SOURCE_NOT_FOUND',
    );
    expect(sourceErrorCode(new SightlineError('RTSP_PROTOCOL', 'DESCRIBE failed: 503', { status: 503 }))).toBe('RTSP_PROTOCOL');
  });
});
