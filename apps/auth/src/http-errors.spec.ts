import { ForbiddenException, NotFoundException } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { describeError as describe_ } from '@sightline/service-kit';
import { AUTH_HTTP_ERRORS } from './http-errors.js';

const describeError = (err: unknown) => describe_(err, AUTH_HTTP_ERRORS);

describe('describeError', () => {
  it('maps codes to statuses and passes only client-facing context', () => {
    const err = new SightlineError('VALIDATION_FAILED', 'invalid body', {
      fieldErrors: { email: ['must be an email address'] },
      sql: 'SELECT …',
    });
    expect(describeError(err)).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'invalid body',
      fieldErrors: { email: ['must be an email address'] },
    });
    expect(describeError(new SightlineError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 12, limit: 'login_ip' }))).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'slow down',
      retryAfterSeconds: 12,
    });
  });

  it('adds the OAuth2 error name to failed logins', () => {
    expect(describeError(new SightlineError('INVALID_CREDENTIALS', 'invalid username or password'))).toMatchObject({
      statusCode: 401,
      error: 'invalid_grant',
    });
  });

  it('keeps the code of guard exceptions and names Nest’s own', () => {
    expect(describeError(new ForbiddenException({ code: 'FORBIDDEN', message: 'requires admin' }))).toEqual({
      statusCode: 403,
      code: 'FORBIDDEN',
      message: 'requires admin',
    });
    expect(describeError(new NotFoundException())).toMatchObject({ statusCode: 404, code: 'HTTP_404' });
  });

  it('answers a lost database with 503 and anything unexpected with a bare 500', () => {
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({
      statusCode: 503,
      code: 'DB_UNAVAILABLE',
    });
    expect(describeError(Object.assign(new Error('terminating connection'), { driverError: { code: '57P01' } }))).toMatchObject({
      statusCode: 503,
    });
    expect(describeError(new Error('secret internals'))).toEqual({ statusCode: 500, code: 'INTERNAL', message: 'internal error' });
    expect(describeError(new SightlineError('SOMETHING_NEW', 'internal detail'))).toEqual({
      statusCode: 500,
      code: 'INTERNAL',
      message: 'internal error',
    });
  });
});
