/**
 * Signup, OAuth2 password login, /me, token verification and the attacks on it, input validation, SQL-injection
 * strings, body limits, the signing-key file, the OpenAPI document, logging hygiene and database outages.
 * Real PostgreSQL; the service in-process on a free port.
 */
import { JWKS_PATH, JWT_DEFAULTS } from '@sightline/contracts';
import { createLogger } from '@sightline/observability';
import { TokenSigner, TokenVerifier } from '@sightline/security';
import bcrypt from 'bcryptjs';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createHmac, createPublicKey } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthApp, startDatabase } from './harness.js';
import { loadSigningKey } from '@sightline/identity';
import { loadAuthConfig } from '../src/config.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ADA = { username: 'ada', email: 'ada@example.com', password: 'analytical engine 1843' };

describe('auth service: accounts and tokens', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;
  let adaToken: string;
  const issuedTokens: string[] = [];

  beforeAll(async () => {
    db = await startDatabase('auth-accounts');
    auth = await AuthApp.start(db.dir, db.pg.url);
  });

  afterAll(async () => {
    await auth?.stop();
    await db?.stop();
  });

  it('signs up, logs in with the OAuth2 password grant and reads /me', async () => {
    const signup = await auth.signup(' Ada ', ADA.password, 'Ada@Example.com');
    expect(signup.status).toBe(200); // the verification of the mailed link answers with the account
    expect(signup.body).toEqual({
      id: expect.any(Number),
      username: 'ada',
      email: 'ada@example.com',
      roles: ['agent'],
      createdAt: expect.any(String),
    });

    const login = await auth.request<{ access_token: string; token_type: string; expires_in: number }>('POST', '/login', {
      form: { grant_type: 'password', username: 'ADA', password: ADA.password },
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(login.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 900 });
    adaToken = login.body.access_token;
    issuedTokens.push(adaToken);

    expect(decodeProtectedHeader(adaToken)).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    const claims = decodeJwt(adaToken);
    expect(claims).toMatchObject({
      sub: String(signup.body.id),
      username: 'ada',
      roles: ['agent'],
      iss: JWT_DEFAULTS.issuer,
      aud: JWT_DEFAULTS.audience,
    });
    expect(claims.exp! - claims.iat!).toBe(900);

    const me = await auth.request('GET', '/me', { token: adaToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(signup.body);
  });

  it('publishes a JWKS that other services verify tokens with, without any shared secret', async () => {
    const jwks = await auth.request<{ keys: Record<string, unknown>[] }>('GET', JWKS_PATH);
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toEqual([
      expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) }),
    ]);
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
    const verifier = new TokenVerifier({ jwksUrl: `${auth.url}${JWKS_PATH}` });
    await expect(verifier.verify(adaToken)).resolves.toMatchObject({ username: 'ada', roles: ['agent'] });
  });

  it('accepts a JSON login body as well', async () => {
    const login = await auth.request('POST', '/login', { json: { username: ADA.username, password: ADA.password } });
    expect(login.status).toBe(200);
    issuedTokens.push(login.body.access_token as string);
  });

  it('stores a bcrypt hash of cost >= 12 and never returns it', async () => {
    const stored = db.pg.psql(`SELECT password FROM users WHERE username = 'ada'`).trim();
    expect(stored).toMatch(/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.getRounds(stored)).toBeGreaterThanOrEqual(12);
    expect(stored).not.toContain(ADA.password);
    const me = await auth.request('GET', '/me', { token: adaToken });
    expect(JSON.stringify(me.body)).not.toMatch(/password|\$2[aby]\$/);
  });

  it.each([
    ['a too-short username', { username: 'ab', email: 'ab@example.com', password: 'long enough password' }, ['username']],
    ['a username with spaces', { username: 'ada lovelace', email: 'al@example.com', password: 'long enough password' }, ['username']],
    ['a malformed email', { username: 'grace', email: 'grace-at-example.com', password: 'long enough password' }, ['email']],
    ['a short password', { username: 'grace', email: 'grace@example.com', password: 'Sh0rt!' }, ['password']],
    ['a repetitive password', { username: 'grace', email: 'grace@example.com', password: 'abababababababab' }, ['password']],
    ['a password containing the username', { username: 'grace', email: 'g@example.com', password: 'hello-grace-2024' }, ['password']],
    ['a password bcrypt would truncate', { username: 'grace', email: 'grace@example.com', password: 'x1y2z3'.repeat(13) }, ['password']],
    ['missing fields', {}, ['email', 'password', 'username']],
    [
      'an extra field (roles)',
      { username: 'grace', email: 'grace@example.com', password: 'long enough password', roles: ['admin'] },
      ['body'],
    ],
    ['wrong types', { username: 42, email: ['x'], password: null }, ['email', 'password', 'username']],
  ])('refuses %s with 400 and field errors', async (_case, body, fields) => {
    const reply = await auth.request<{ code: string; fieldErrors: Record<string, string[]> }>('POST', '/signup', { json: body });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(reply.body.fieldErrors).sort()).toEqual(fields);
  });

  it('answers an unknown user exactly like a wrong password, after the same bcrypt work', async () => {
    const verifiesBefore = await auth.metric('sightline_auth_bcrypt_seconds_count', { operation: 'verify' });
    const unknown = await auth.request('POST', '/login', { form: { grant_type: 'password', username: 'nobody', password: ADA.password } });
    const wrong = await auth.request('POST', '/login', { form: { grant_type: 'password', username: 'ada', password: 'not the password' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body).toEqual({
      statusCode: 401,
      code: 'INVALID_CREDENTIALS',
      message: 'invalid username or password',
      error: 'invalid_grant',
    });
    // One bcrypt comparison each: the unknown user is compared against a dummy hash of the same cost.
    expect(await auth.metric('sightline_auth_bcrypt_seconds_count', { operation: 'verify' })).toBe(verifiesBefore + 2);
  });

  it('accepts only the password grant', async () => {
    const reply = await auth.request('POST', '/login', {
      form: { grant_type: 'client_credentials', username: 'ada', password: ADA.password },
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'VALIDATION_FAILED', fieldErrors: { grant_type: expect.any(Array) } });
  });

  describe('refuses forged and stale tokens on /me with 401', () => {
    const keyFile = () => readFileSync(join(db.dir, 'keys', 'signing-key.pem'), 'utf8');
    const adaClaims = () => decodeJwt(adaToken);
    const subject = () => ({ userId: adaClaims().sub!, username: 'ada', roles: ['admin'] });
    const now = () => Math.floor(Date.now() / 1000);
    const claims = () => ({ ...adaClaims(), roles: ['admin'], iat: now(), exp: now() + 600 });
    const publicPem = async () => {
      const { keys } = (await auth.request<{ keys: object[] }>('GET', JWKS_PATH)).body;
      return createPublicKey({ key: keys[0] as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    };

    it.each<[string, () => Promise<string>]>([
      [
        'an expired token signed with the service key',
        async () => (await (await TokenSigner.fromPkcs8(keyFile())).sign(subject(), -120)).token,
      ],
      ['a token signed by another key', async () => (await (await TokenSigner.generate()).sign(subject(), 600)).token],
      ['alg: none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
      [
        'HS256 keyed with the public key',
        async () => {
          const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid: decodeProtectedHeader(adaToken).kid })}.${b64(claims())}`;
          return `${unsigned}.${createHmac('sha256', await publicPem())
            .update(unsigned)
            .digest('base64url')}`;
        },
      ],
      [
        'a wrong audience',
        async () => (await (await TokenSigner.fromPkcs8(keyFile(), { audience: 'another-system' })).sign(subject(), 600)).token,
      ],
      [
        'a wrong issuer',
        async () => (await (await TokenSigner.fromPkcs8(keyFile(), { issuer: 'someone-else' })).sign(subject(), 600)).token,
      ],
      [
        'a genuine token with its payload edited',
        async () => {
          const [header, , signature] = adaToken.split('.');
          return `${header}.${b64(claims())}.${signature}`;
        },
      ],
      ['garbage', async () => 'not.a.jwt'],
    ])('%s', async (_case, forge) => {
      const reply = await auth.request('GET', '/me', { token: await forge() });
      expect(reply.status).toBe(401);
      expect(reply.body.code).toMatch(/^TOKEN_(INVALID|EXPIRED)$/);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('and no token at all', async () => {
      const reply = await auth.request('GET', '/me');
      expect(reply.status).toBe(401);
      expect(reply.body.code).toBe('TOKEN_MISSING');
    });
  });

  it('treats SQL-injection strings as data in every field', async () => {
    const usersBefore = db.pg.psql('SELECT count(*) FROM users').trim();
    const injections = ["' OR '1'='1", "admin'--", "'; DROP TABLE users; --", "\\'; SELECT pg_sleep(5); --"];
    for (const attack of injections) {
      const signup = await auth.request('POST', '/signup', {
        json: { username: attack, email: `${attack}@example.com`, password: attack },
      });
      expect(signup.status).toBe(400);
      const login = await auth.request('POST', '/login', { form: { grant_type: 'password', username: attack, password: attack } });
      expect(login.status).toBe(401); // looked up as a literal name: matches nothing
      const reset = await auth.request('POST', '/password-reset', { json: { email: attack } });
      expect(reset.status).toBe(400);
      const confirm = await auth.request('POST', '/password-reset/confirm', {
        json: { token: attack, newPassword: 'long enough password' },
      });
      expect(confirm.status).toBe(400);
    }
    // A quote is legal in an email address: it is stored verbatim, not interpreted.
    const quoted = await auth.signup('obrien', 'long enough password', "o'brien--@example.com");
    expect(quoted.status).toBe(200);
    expect(db.pg.psql(`SELECT email FROM users WHERE username = 'obrien'`).trim()).toBe("o'brien--@example.com");
    expect(Number(db.pg.psql('SELECT count(*) FROM users').trim())).toBe(Number(usersBefore) + 1);
    expect(db.pg.psql(`SELECT string_agg(name, ',' ORDER BY name) FROM roles`).trim()).toBe('admin,agent,operator');
  });

  it('limits body size and answers unparsable bodies with JSON errors', async () => {
    const huge = await auth.request('POST', '/signup', {
      json: { username: 'big', email: 'big@example.com', password: 'x'.repeat(20_000) },
    });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ code: 'BODY_TOO_LARGE' });
    const malformed = await auth.request('POST', '/signup', { raw: '{"username": "x",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'MALFORMED_BODY' });
    const plain = await auth.request('POST', '/signup', { raw: 'username=x', contentType: 'text/plain' });
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('serves the OpenAPI document that docs/openapi/auth.json holds', async () => {
    const served = await auth.request<{ openapi: string; paths: Record<string, object> }>('GET', '/docs-json');
    expect(served.status).toBe(200);
    expect(served.body.openapi).toMatch(/^3\./);
    expect(Object.keys(served.body.paths)).toEqual(
      expect.arrayContaining([
        '/signup',
        '/login',
        '/password-reset',
        '/password-reset/confirm',
        '/me',
        JWKS_PATH,
        '/admin/users',
        '/admin/users/{id}',
        '/admin/users/{id}/roles/{role}',
        '/admin/roles',
        '/admin/roles/{role}',
      ]),
    );
    const committed = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../docs/openapi/auth.json'), 'utf8'));
    expect(committed).toEqual(served.body);
  });

  it('keeps the signing key in a 0600 file and keeps verifying its tokens after a restart', async () => {
    const keyPath = join(db.dir, 'keys', 'signing-key.pem');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const kidBefore = decodeProtectedHeader(adaToken).kid;
    await auth.stop();
    auth = await AuthApp.start(db.dir, db.pg.url);
    expect((await auth.request<{ keys: { kid: string }[] }>('GET', JWKS_PATH)).body.keys[0]!.kid).toBe(kidBefore);
    expect((await auth.request('GET', '/me', { token: adaToken })).status).toBe(200);
  });

  it('refuses to start with a signing key file other users can read', async () => {
    const keyPath = join(db.dir, 'keys', 'signing-key.pem');
    const config = loadAuthConfig({ AUTH_SIGNING_KEY_FILE: keyPath });
    const logger = createLogger('auth-key-test', 'error');
    logger.clear();
    await expect(loadSigningKey(config, logger)).resolves.toBeDefined();
    chmodSync(keyPath, 0o644);
    try {
      await expect(loadSigningKey(config, logger)).rejects.toMatchObject({ code: 'SIGNING_KEY_EXPOSED' });
    } finally {
      chmodSync(keyPath, 0o600);
    }
  });

  it('answers 503 while the database is down and recovers when it is back', async () => {
    await db.pg.stop();
    try {
      const me = await auth.request('GET', '/me', { token: adaToken });
      expect(me.status).toBe(503);
      expect(me.body).toMatchObject({ code: 'DB_UNAVAILABLE', retryAfterSeconds: 5 });
      expect(me.headers.get('retry-after')).toBe('5');
      expect((await auth.request('GET', '/health/ready')).status).toBe(503);
    } finally {
      await db.pg.start();
    }
    expect((await auth.request('GET', '/me', { token: adaToken })).status).toBe(200);
    expect((await auth.request('GET', '/health/ready')).body).toMatchObject({ status: 'ok', checks: { db: { up: true } } });
  });

  it('never logs a password, a hash or a token', () => {
    const secrets = [
      ADA.password,
      'a different secret 99',
      'long enough password',
      ...issuedTokens,
      db.pg.psql(`SELECT password FROM users WHERE username = 'ada'`).trim(),
    ];
    const logs = auth.logLines.join('\n');
    expect(auth.logLines.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
