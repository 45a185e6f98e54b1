/**
 * Password reset through the development mail outbox (single use, expiry, earlier links not voided by later requests, old password and old
 * sessions ended, unknown address still 202), and the login/reset rate limits per IP and per account.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthApp, startDatabase, until } from './harness.js';

const RITA = { username: 'rita', email: 'rita@example.com', password: 'original secret 123' };
const NEW_PASSWORD = 'replacement secret 456';

describe('auth service: password reset', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;
  const mailedTokens: string[] = [];

  /** Requests a reset for `email` and returns the token from the newly mailed link. */
  async function mailedToken(email: string): Promise<string> {
    const before = auth.outbox(email.toLowerCase()).length;
    const reply = await auth.request('POST', '/password-reset', { json: { email } });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ status: 'accepted' });
    const mail = await until(() => auth.outbox(email.toLowerCase())[before], `the reset mail to ${email}`);
    expect(mail.subject).toBe('Reset your Sightline password');
    const token = mail.text.match(/\/console\/#\/reset\/([A-Za-z0-9_-]{43})$/m)?.[1];
    expect(token).toBeDefined();
    // Only in the fragment: never in a query string that a proxy would log.
    expect(mail.text).not.toMatch(/[?&]token=/);
    mailedTokens.push(token!);
    return token!;
  }

  const confirm = (token: string, newPassword: string) => auth.request('POST', '/password-reset/confirm', { json: { token, newPassword } });
  const storedHash = () => db.pg.psql(`SELECT password FROM users WHERE username = '${RITA.username}'`).trim();

  beforeAll(async () => {
    db = await startDatabase('auth-reset');
    auth = await AuthApp.start(db.dir, db.pg.url);
    expect((await auth.signup(RITA.username, RITA.password, RITA.email)).status).toBe(200);
  });

  afterAll(async () => {
    await auth?.stop();
    await db?.stop();
  });

  it('mails a single-use link; the new password works, the old password and old sessions stop working', async () => {
    const oldSession = await auth.login(RITA.username, RITA.password);
    const token = await mailedToken('Rita@Example.com');
    // Only the token's SHA-256 is stored.
    expect(db.pg.psql('SELECT token_hash FROM password_reset_tokens').trim()).toBe(createHash('sha256').update(token).digest('hex'));

    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);
    expect((await auth.request('POST', '/login', { form: { username: RITA.username, password: RITA.password } })).status).toBe(401);
    const newSession = await auth.login(RITA.username, NEW_PASSWORD);
    expect((await auth.request('GET', '/me', { token: oldSession })).body).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect((await auth.request('GET', '/me', { token: newSession })).status).toBe(200);

    const again = await confirm(token, 'yet another secret 789');
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 'RESET_TOKEN_INVALID' });
    expect(db.pg.psql('SELECT count(*) FROM password_reset_tokens').trim()).toBe('0');
  });

  it('refuses an expired token and leaves the password alone', async () => {
    const token = await mailedToken(RITA.email);
    const hashBefore = storedHash();
    db.pg.psql(`UPDATE password_reset_tokens SET expires_at = now() - interval '1 second'`);
    const reply = await confirm(token, 'yet another secret 789');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'RESET_TOKEN_INVALID' });
    expect(storedHash()).toBe(hashBefore);
  });

  it('keeps an earlier link valid when another is mailed (requests cannot void it); using one voids the rest', async () => {
    const first = await mailedToken(RITA.email);
    const second = await mailedToken(RITA.email);
    expect((await confirm(first, 'yet another secret 789')).status).toBe(204);
    expect((await confirm(second, 'and one more secret 12')).body).toMatchObject({ code: 'RESET_TOKEN_INVALID' });
    expect(db.pg.psql('SELECT count(*) FROM password_reset_tokens').trim()).toBe('0');
    await mailedToken(RITA.email).then((token) => confirm(token, NEW_PASSWORD)); // back to the password later tests use
  });

  it('checks the new password against the policy and keeps the token usable', async () => {
    const token = await mailedToken(RITA.email);
    const short = await confirm(token, 'short');
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({ code: 'VALIDATION_FAILED', fieldErrors: { newPassword: expect.any(Array) } });
    const personal = await confirm(token, 'my name is rita!');
    expect(personal.body).toMatchObject({ fieldErrors: { newPassword: ['must not contain the username or email'] } });
    expect(
      db.pg
        .psql(`SELECT count(*) FROM password_reset_tokens WHERE token_hash = '${createHash('sha256').update(token).digest('hex')}'`)
        .trim(),
    ).toBe('1');
  });

  /** The reset counter's lines of /metrics, by stage. */
  const resetMetrics = async () =>
    Object.fromEntries(
      (await (await fetch(`${auth.url}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('sightline_auth_password_resets_total{'))
        .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
    );
  /** What one reset request for `email` adds to each reset metric, once it has been processed. */
  const resetDelta = async (email: string) => {
    const stage = (metrics: Record<string, number>, name: string) =>
      Object.entries(metrics).find(([line]) => line.includes(`stage="${name}"`))?.[1] ?? 0;
    const processed = (metrics: Record<string, number>) => stage(metrics, 'processed');
    // Earlier tests' requests finish in the background: start from a state where every request was processed.
    const before = await until(async () => {
      const now = await resetMetrics();
      return processed(now) === stage(now, 'requested') ? now : undefined;
    }, 'earlier reset requests to be processed');
    expect((await auth.request('POST', '/password-reset', { json: { email } })).status).toBe(202);
    const after = await until(async () => {
      const now = await resetMetrics();
      return processed(now) > processed(before) ? now : undefined;
    }, `the reset request for ${email} to be processed`);
    return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
  };

  it('answers 202 for an unknown address and mails nothing; /metrics cannot tell it from a known one', async () => {
    const unknown = await resetDelta('nobody@example.com');
    expect(auth.outbox('nobody@example.com')).toEqual([]);
    const mailsBefore = auth.outbox(RITA.email).length;
    const known = await resetDelta(RITA.email);
    expect(auth.outbox(RITA.email).length).toBe(mailsBefore + 1);
    expect(known).toEqual(unknown);
  });

  it('never logs a reset token or a password', () => {
    const logs = auth.logLines.join('\n');
    expect(logs).toContain('password reset mailed');
    for (const secret of [...mailedTokens, RITA.password, NEW_PASSWORD]) expect(logs).not.toContain(secret);
  });

  describe('a second instance with small rate limits and signup disabled, on the same database', () => {
    let limited: AuthApp;

    beforeAll(async () => {
      limited = await AuthApp.start(db.dir, db.pg.url, {
        RATE_LIMIT_LOGIN_PER_ACCOUNT: '2',
        RATE_LIMIT_LOGIN_PER_IP: '4',
        RATE_LIMIT_RESET_PER_IP: '3',
        AUTH_SIGNUP_ENABLED: 'false',
        // Behind one proxy hop: X-Forwarded-For names the client (to test clients at different addresses).
        HTTP_TRUST_PROXY_HOPS: '1',
      });
    });

    afterAll(async () => {
      await limited?.stop();
    });

    const attempt = (username: string) =>
      limited.request('POST', '/login', { form: { grant_type: 'password', username, password: 'guess guess guess' } });

    it('limits login attempts per account, existing or not, before any bcrypt work', async () => {
      expect((await attempt('ghost')).status).toBe(401);
      expect((await attempt('ghost')).status).toBe(401);
      const verifies = await limited.metric('sightline_auth_bcrypt_seconds_count', { operation: 'verify' });
      const refused = await attempt('GHOST');
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      // 2 per minute: a token comes back every 30 s, minus the time the two attempts took.
      const retryAfter = refused.body.retryAfterSeconds as number;
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(30);
      expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
      expect(await limited.metric('sightline_auth_bcrypt_seconds_count', { operation: 'verify' })).toBe(verifies);
      expect(await limited.metric('sightline_auth_rate_limited_total', { limit: 'login_account' })).toBe(1);
    });

    it('limits login attempts per client IP across accounts', async () => {
      expect((await attempt('ghost-2')).status).toBe(401);
      const refused = await attempt('ghost-3');
      expect(refused.status).toBe(429);
      expect(await limited.metric('sightline_auth_rate_limited_total', { limit: 'login_ip' })).toBe(1);
    });

    it('does not let an attacker at one address lock the real user out, and counts only failed attempts', async () => {
      const from = (ip: string, password: string) =>
        limited.request('POST', '/login', {
          form: { grant_type: 'password', username: RITA.username, password },
          headers: { 'x-forwarded-for': ip },
        });
      expect((await from('203.0.113.7', 'wrong guess one')).status).toBe(401);
      expect((await from('203.0.113.7', 'wrong guess two')).status).toBe(401);
      expect((await from('203.0.113.7', NEW_PASSWORD)).status).toBe(429); // that client is locked out of this account
      expect((await from('198.51.100.9', NEW_PASSWORD)).status).toBe(200); // the real user, elsewhere, is not
      // Successful logins use no failure allowance: more than RATE_LIMIT_LOGIN_PER_ACCOUNT of them in a row succeed.
      expect((await from('198.51.100.10', NEW_PASSWORD)).status).toBe(200);
      expect((await from('198.51.100.10', NEW_PASSWORD)).status).toBe(200);
      expect((await from('198.51.100.10', NEW_PASSWORD)).status).toBe(200);
    });

    it('refuses signups when they are disabled', async () => {
      const reply = await limited.signup('walter', 'open the door please');
      expect(reply.status).toBe(403);
      expect(reply.body).toMatchObject({ code: 'SIGNUP_DISABLED' });
      expect(db.pg.psql(`SELECT count(*) FROM users WHERE username = 'walter'`).trim()).toBe('0');
    });

    it('limits reset requests per client IP, whatever the address (the per-address cap is silent)', async () => {
      const reset = (email: string) => limited.request('POST', '/password-reset', { json: { email } });
      expect((await reset('someone@example.com')).status).toBe(202);
      expect((await reset('someone@example.com')).status).toBe(202);
      expect((await reset(RITA.email)).status).toBe(202);
      expect((await reset('third@example.com')).status).toBe(429);
      expect(await limited.metric('sightline_auth_rate_limited_total', { limit: 'reset_ip' })).toBe(1);
    });
  });
});
