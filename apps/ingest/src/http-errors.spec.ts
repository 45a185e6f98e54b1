import { SightlineError } from '@sightline/contracts';
import type { ArgumentsHost } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { SightlineErrorFilter } from './http-errors.js';

/** Runs the filter on `error` and returns the status and body it answered, plus what it logged. */
function answer(error: SightlineError) {
  const logged: unknown[] = [];
  const reply: { status?: number; body?: unknown } = {};
  const response = {
    status(code: number) {
      reply.status = code;
      return response;
    },
    json(body: unknown) {
      reply.body = body;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new SightlineErrorFilter({ error: (message: string, meta?: unknown) => logged.push({ message, meta }) }).catch(error, host);
  return { ...reply, logged };
}

describe('ingest HTTP errors', () => {
  it('answers known errors with their code and message', () => {
    expect(answer(new SightlineError('SESSION_NOT_FOUND', 'no session "x"'))).toMatchObject({ status: 404, body: { code: 'SESSION_NOT_FOUND', message: 'no session "x"' }, logged: [] });
  });

  it('answers unexpected errors with a generic message and keeps the details in the log', () => {
    const { status, body, logged } = answer(new SightlineError('SNAPSHOT_FAILED', 'JPEG encoding failed: /opt/secret/ffmpeg: libx error at 0x7f'));
    expect(status).toBe(500);
    expect(body).toEqual({ code: 'SNAPSHOT_FAILED', message: 'internal error' });
    expect(JSON.stringify(logged)).toContain('/opt/secret/ffmpeg');
  });
});
