/**
 * A burst of logins against the real service: bcrypt runs on a bounded worker pool, so past the queue bound logins
 * are refused at once with 503 AUTH_BUSY and Retry-After (not queued without bound), the ones taken all complete,
 * and the service keeps answering other requests meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, AuthApp, startDatabase } from './harness.js';

let db: Awaited<ReturnType<typeof startDatabase>>;
let auth: AuthApp;

beforeAll(async () => {
  db = await startDatabase('auth-bcrypt-load');
  auth = await AuthApp.start(db.dir, db.pg.url, { BCRYPT_WORKERS: '1', BCRYPT_MAX_QUEUED: '1' });
});
afterAll(async () => {
  await auth?.stop();
  await db?.stop();
});

describe('bcrypt under a burst of logins', () => {
  it('refuses logins past the queue bound with 503 AUTH_BUSY and completes the ones it took', async () => {
    const burst = 8;
    const logins = Array.from({ length: burst }, () =>
      auth.request('POST', '/login', { form: { grant_type: 'password', username: ADMIN.username, password: ADMIN.password } }),
    );
    // While the burst is being hashed, the event loop still serves: the JWKS answers.
    expect((await auth.request('GET', '/.well-known/jwks.json')).status).toBe(200);
    const replies = await Promise.all(logins);
    const ok = replies.filter((r) => r.status === 200);
    const busy = replies.filter((r) => r.status === 503);
    expect(ok.length + busy.length).toBe(burst);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const reply of busy) {
      expect(reply.body).toMatchObject({ code: 'AUTH_BUSY', retryAfterSeconds: 1 });
      expect(reply.headers.get('retry-after')).toBe('1');
    }
    // Once the burst is over, logins work again.
    expect((await auth.login(ADMIN.username, ADMIN.password)).length).toBeGreaterThan(20);
  });
});
