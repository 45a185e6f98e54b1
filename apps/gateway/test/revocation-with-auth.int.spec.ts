/**
 * Black-box, with the real auth service (and its PostgreSQL) behind the gateway: a signed-up user receives nothing
 * on /ws/analysis until an admin grants it a session, then only that session; a token stays valid on an open
 * WebSocket no longer than a few seconds after its user's password is reset.
 */
import { WS_CLOSE } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, AuthApp, startDatabase } from '../../auth/test/harness.js';
import { frameAnalyzed, GatewayFixture, openProbe, until, type Probe } from './support.js';

const PASSWORD = 'correct horse battery';
/** The promise: revocation reaches open sockets within this (the feed is polled every 2 s). */
const REVOCATION_BOUND_MS = 10_000;

describe('gateway with the auth service: grants and revocation end to end', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;
  let fixture: GatewayFixture;
  let adminToken: string;
  const probes: Probe[] = [];

  beforeAll(async () => {
    db = await startDatabase('gateway-auth');
    auth = await AuthApp.start(db.dir, db.pg.url);
    adminToken = await auth.login(ADMIN.username, ADMIN.password);
    fixture = await GatewayFixture.start({ AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` });
  });
  afterAll(async () => {
    await Promise.all(probes.map((p) => p.close()));
    await fixture?.close();
    await auth?.stop();
    await db?.stop();
  });

  const listen = async (token: string) => {
    const probe = await openProbe(fixture.wsUrl, { token }); // spec-only: no command
    probes.push(probe);
    await until(() => probe.controls('subscribed').length === 1, 'the default subscription');
    return probe;
  };

  it('pushes nothing to a signed-up user until granted, then only the granted session', async () => {
    const signup = await auth.signup('newcomer', PASSWORD);
    const userId = (signup.body as { id: number }).id;
    const ungranted = await listen(await auth.login('newcomer', PASSWORD));
    const operator = await listen(adminToken);

    await fixture.publish(frameAnalyzed('cam-x', 1), 'x1');
    await until(() => operator.results().length === 1, 'the admin receives cam-x');
    expect(ungranted.results()).toEqual([]);

    await auth.request('PUT', `/admin/users/${userId}/sessions/cam-y`, { token: adminToken });
    const granted = await listen(await auth.login('newcomer', PASSWORD));
    await fixture.publish(frameAnalyzed('cam-x', 2), 'x2');
    await fixture.publish(frameAnalyzed('cam-y', 1), 'y1');
    await until(() => operator.results().length === 3 && granted.results().length === 1, 'cam-y delivered');
    expect(granted.results().map((m) => m.sessionId)).toEqual(['cam-y']);
    expect(ungranted.results()).toEqual([]);
  });

  it(`closes the socket of a user whose password was reset within ${REVOCATION_BOUND_MS / 1000} s`, async () => {
    const created = await auth.request<{ id: number }>('POST', '/admin/users', {
      token: adminToken,
      json: { username: 'watcher', email: 'watcher@example.com', password: PASSWORD },
    });
    const probe = await listen(await auth.login('watcher', PASSWORD));
    const reset = await auth.request('PATCH', `/admin/users/${created.body.id}`, {
      token: adminToken,
      json: { password: 'a brand new secret 42' },
    });
    expect(reset.status).toBe(200);
    // From the reset's answer (the revocation is committed by then; hashing the new password is not counted).
    const resetAt = Date.now();
    const outcome = await Promise.race([probe.closed, new Promise((r) => setTimeout(() => r('still open'), REVOCATION_BOUND_MS))]);
    expect(outcome).toBe(WS_CLOSE.tokenExpired);
    expect(probe.closeReason).toMatch(/revoked/);
    expect(Date.now() - resetAt).toBeLessThan(REVOCATION_BOUND_MS);
  });
});
