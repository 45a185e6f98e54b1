import 'reflect-metadata';
import { Body, Controller, Get, Module, NotFoundException, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { errorBodySchema, SightlineError, silentLogger } from '@sightline/contracts';
import { LOGGER } from '@sightline/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeError, httpErrorFilter, type StatusByCode } from './http-errors.js';
import { ZodPipe } from './validation.js';

const STATUS = { SESSION_NOT_FOUND: 404, SESSION_EXISTS: 409, DB_UNAVAILABLE: 503 } as const satisfies StatusByCode;
const options = { statusByCode: STATUS };

// @ts-expect-error a table typed over a code union must map every code
const _incomplete: StatusByCode<'SESSION_NOT_FOUND' | 'SESSION_EXISTS'> = { SESSION_NOT_FOUND: 404 };

describe('describeError', () => {
  it('maps codes to statuses and passes only client-facing context', () => {
    const err = new SightlineError('SESSION_EXISTS', 'running', { fieldErrors: { id: ['taken'] }, sql: 'SELECT …' });
    expect(describeError(err, options)).toEqual({
      statusCode: 409,
      code: 'SESSION_EXISTS',
      message: 'running',
      fieldErrors: { id: ['taken'] },
    });
  });

  it('hides the message of codes the service did not map (e.g. FFmpeg stderr) behind a bare 500', () => {
    expect(describeError(new SightlineError('SNAPSHOT_FAILED', '/opt/secret/ffmpeg: libx error'), options)).toEqual({
      statusCode: 500,
      code: 'INTERNAL',
      message: 'internal error',
    });
  });

  it('keeps the code of guard exceptions and names Nest’s own', () => {
    expect(describeError(new NotFoundException({ code: 'ZONES_NOT_FOUND', message: 'none' }), options)).toEqual({
      statusCode: 404,
      code: 'ZONES_NOT_FOUND',
      message: 'none',
    });
    expect(describeError(new NotFoundException(), options)).toEqual({ statusCode: 404, code: 'HTTP_404', message: 'Not Found' });
  });

  it('answers a lost database with a retryable 503', () => {
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), options)).toMatchObject({
      statusCode: 503,
      code: 'DB_UNAVAILABLE',
      retryAfterSeconds: 5,
    });
  });
});

@Controller('things')
class ThingsController {
  @Post()
  create(@Body(new ZodPipe(z.object({ name: z.string().min(1) }).strict(), 'body')) body: { name: string }) {
    return body;
  }

  @Get('missing')
  missing() {
    throw new SightlineError('SESSION_NOT_FOUND', 'no session "x"');
  }

  @Get('broken')
  broken() {
    throw new Error('secret internals');
  }
}

@Module({
  controllers: [ThingsController],
  providers: [{ provide: LOGGER, useValue: silentLogger }, httpErrorFilter(options)],
})
class ThingsModule {}

describe('HttpErrorFilter in a Nest app', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    app = await NestFactory.create(ThingsModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  async function call(path: string, init?: RequestInit) {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('answers a bad request, an unknown route, a mapped code and a crash with the one error body', async () => {
    const bad = await call('/things', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '', extra: 1 }),
    });
    expect(bad).toMatchObject({ status: 400, body: { statusCode: 400, code: 'VALIDATION_FAILED', message: 'invalid body' } });
    expect(Object.keys(bad.body.fieldErrors as object).sort()).toEqual(['body', 'name']);
    const unknown = await call('/nowhere');
    expect(unknown).toMatchObject({ status: 404, body: { statusCode: 404, code: 'HTTP_404' } });
    const missing = await call('/things/missing');
    expect(missing).toEqual({ status: 404, body: { statusCode: 404, code: 'SESSION_NOT_FOUND', message: 'no session "x"' } });
    const broken = await call('/things/broken');
    expect(broken).toEqual({ status: 500, body: { statusCode: 500, code: 'INTERNAL', message: 'internal error' } });
    for (const { body } of [bad, unknown, missing, broken]) expect(errorBodySchema.strict().safeParse(body).success).toBe(true);
  });
});
