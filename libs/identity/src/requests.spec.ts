import { describe, expect, it } from 'vitest';
import { loginSchema, parseRequest, passwordProblems, signupSchema, updateUserSchema, userIdSchema } from './requests.js';

const fieldErrorsOf = (f: () => unknown): Record<string, string[]> => {
  try {
    f();
  } catch (err) {
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    return (err as { context: { fieldErrors: Record<string, string[]> } }).context.fieldErrors;
  }
  throw new Error('expected a validation failure');
};

describe('request validation', () => {
  it('normalises usernames and emails', () => {
    const parsed = parseRequest(signupSchema, { username: ' Ada ', email: 'Ada@Example.COM', password: 'analytical engine 1843' }, 'body');
    expect(parsed).toEqual({ username: 'ada', email: 'ada@example.com', password: 'analytical engine 1843' });
  });

  it('reports every bad field at once', () => {
    const errors = fieldErrorsOf(() => parseRequest(signupSchema, { username: 'a', email: 'nope', password: 'short' }, 'body'));
    expect(Object.keys(errors).sort()).toEqual(['email', 'password', 'username']);
    expect(errors.password).toContain('must be at least 12 characters');
  });

  it('refuses unknown fields so roles cannot be smuggled into a signup', () => {
    const errors = fieldErrorsOf(() =>
      parseRequest(
        signupSchema,
        { username: 'bob', email: 'bob@example.com', password: 'correct horse battery', roles: ['admin'] },
        'body',
      ),
    );
    expect(Object.keys(errors)).toEqual(['body']);
  });

  it('refuses a password containing the username or email', () => {
    const errors = fieldErrorsOf(() =>
      parseRequest(signupSchema, { username: 'grace', email: 'g@example.com', password: 'my-grace-password' }, 'body'),
    );
    expect(errors).toEqual({ password: ['must not contain the username or email'] });
  });

  it('keeps the password policy bcrypt-safe', () => {
    expect(passwordProblems('ä'.repeat(37))).toEqual(expect.arrayContaining(['must be at most 72 bytes']));
    expect(passwordProblems('aaaaaaaaaaaaaaaa')).toEqual(['must contain at least 6 different characters']);
    expect(passwordProblems('correct horse battery')).toEqual([]);
  });

  it('only accepts the OAuth2 password grant', () => {
    expect(
      fieldErrorsOf(() => parseRequest(loginSchema, { grant_type: 'client_credentials', username: 'a', password: 'b' }, 'body')),
    ).toHaveProperty('grant_type');
    expect(parseRequest(loginSchema, { grant_type: 'password', username: 'Ada', password: 'x', scope: 'all' }, 'body')).toEqual({
      grant_type: 'password',
      username: 'ada',
      password: 'x',
    });
  });

  it('accepts only plain positive integers as ids', () => {
    expect(parseRequest(userIdSchema, '42', 'id')).toBe(42);
    for (const bad of ['0', '-1', '1 OR 1=1', '1e3', '0x10', '99999999999']) {
      expect(fieldErrorsOf(() => parseRequest(userIdSchema, bad, 'id'))).toHaveProperty('id');
    }
  });

  it('refuses an empty update', () => {
    expect(fieldErrorsOf(() => parseRequest(updateUserSchema, {}, 'body'))).toEqual({ body: ['nothing to update'] });
  });
});
