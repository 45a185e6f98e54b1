import { MAX_RESULT_BYTES, makeEnvelope } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { decodeResult } from './decode.js';

const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const stopped = makeEnvelope('cam-1', 'sessionStopped', { reason: 'eof', framesPublished: 10, framesDropped: 0 });

describe('decodeResult', () => {
  it('accepts an envelope published on its own subject', () => {
    expect(decodeResult({ subject: 'results.cam-1.sessionStopped', data: encode(stopped) })).toEqual(stopped);
  });

  it.each([
    ['malformed JSON', 'results.cam-1.sessionStopped', '{"sessionId":', 'INVALID_MESSAGE', /not valid JSON/],
    ['a missing field', 'results.cam-1.sessionStopped', { ...stopped, timestamp: undefined }, 'INVALID_MESSAGE', /timestamp/],
    [
      'an invalid payload',
      'results.cam-1.sessionStopped',
      { ...stopped, payload: { reason: 'eof' } },
      'INVALID_MESSAGE',
      /payload\.framesPublished/,
    ],
    ['an unknown event', 'results.cam-1.exploded', { ...stopped, event: 'exploded' }, 'INVALID_MESSAGE', /event/],
    ['a subject of another session', 'results.cam-2.sessionStopped', stopped, 'INVALID_MESSAGE', /does not match/],
    [
      'an oversized body',
      'results.cam-1.sessionStopped',
      { ...stopped, payload: { ...stopped.payload, reason: 'x'.repeat(MAX_RESULT_BYTES) } },
      'MESSAGE_TOO_LARGE',
      /exceeds/,
    ],
  ])('refuses %s with a code and reason', (_what, subject, body, code, reason) => {
    expect(() => decodeResult({ subject, data: encode(body) })).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(reason) }),
    );
  });
});
