/**
 * Session grants, black-box through the HTTP API: a signed-up user's token grants no session; an admin grants
 * sessions (or `*`) and the next token carries exactly them; taking a grant away, resetting a password, removing a
 * role or deleting the user publishes a revocation on the feed the other services poll.
 */
import { TokenVerifier } from '@sightline/security';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, AuthApp, startDatabase } from './harness.js';

const PASSWORD = 'correct horse battery';

type Feed = { revocations: { userId: string; revokedBefore: string }[] };

describe('auth service: session grants and the revocation feed', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;
  let adminToken: string;
  let verifier: TokenVerifier;

  const asAdmin = <T = { userId: number; sessions: string[] }>(method: string, path: string) =>
    auth.request<T>(method, path, { token: adminToken });
  const signupAndLogin = async (username: string) => {
    const created = await auth.signup(username, PASSWORD);
    expect(created.status).toBe(200);
    return { id: (created.body as { id: number }).id, token: await auth.login(username, PASSWORD) };
  };
  const feed = async () => (await auth.request<Feed>('GET', '/token-revocations')).body.revocations;

  beforeAll(async () => {
    db = await startDatabase('auth-grants');
    auth = await AuthApp.start(db.dir, db.pg.url);
    adminToken = await auth.login(ADMIN.username, ADMIN.password);
    verifier = new TokenVerifier({ jwksUrl: `${auth.url}/.well-known/jwks.json` });
  });

  afterAll(async () => {
    await auth?.stop();
    await db?.stop();
  });

  it('gives a signed-up user no session; the next token after a grant carries exactly the granted ones', async () => {
    const ada = await signupAndLogin('ada');
    expect(decodeJwt(ada.token)).toMatchObject({ roles: ['agent'], sessions: [] });
    expect((await verifier.verify(ada.token)).sessions).toEqual([]);

    expect((await asAdmin('PUT', `/admin/users/${ada.id}/sessions/cam-2`)).body).toEqual({ userId: ada.id, sessions: ['cam-2'] });
    expect((await asAdmin('PUT', `/admin/users/${ada.id}/sessions/cam-1`)).body).toEqual({ userId: ada.id, sessions: ['cam-1', 'cam-2'] });
    expect((await asAdmin('PUT', `/admin/users/${ada.id}/sessions/cam-1`)).status).toBe(200); // idempotent
    expect((await verifier.verify(await auth.login('ada', PASSWORD))).sessions).toEqual(['cam-1', 'cam-2']);

    expect((await asAdmin('PUT', `/admin/users/${ada.id}/sessions/*`)).body.sessions).toEqual(['*', 'cam-1', 'cam-2']);
    expect((await verifier.verify(await auth.login('ada', PASSWORD))).sessions).toBe('*');
  });

  it('gives operators and admins every session without grants', async () => {
    expect(decodeJwt(adminToken)).toMatchObject({ sessions: '*' });
  });

  it('validates grants: session id syntax, unknown users, admin only', async () => {
    const bob = await signupAndLogin('bob');
    const bad = await asAdmin('PUT', `/admin/users/${bob.id}/sessions/${encodeURIComponent('cam 1;DROP')}`);
    expect(bad.status).toBe(400);
    expect((await asAdmin('PUT', '/admin/users/999999/sessions/cam-1')).status).toBe(404);
    expect((await auth.request('PUT', `/admin/users/${bob.id}/sessions/cam-1`, { token: bob.token })).status).toBe(403);
    expect((await asAdmin('GET', `/admin/users/${bob.id}/sessions`)).body).toEqual({ userId: bob.id, sessions: [] });
  });

  it('publishes a revocation when a grant is taken away, and the old token stops verifying', async () => {
    const carl = await signupAndLogin('carl');
    await asAdmin('PUT', `/admin/users/${carl.id}/sessions/cam-1`);
    const granted = await auth.login('carl', PASSWORD);
    expect((await feed()).some((r) => r.userId === String(carl.id))).toBe(false);
    // Taking away a grant the user does not have changes nothing.
    await asAdmin('DELETE', `/admin/users/${carl.id}/sessions/cam-9`);
    expect((await feed()).some((r) => r.userId === String(carl.id))).toBe(false);

    expect((await asAdmin('DELETE', `/admin/users/${carl.id}/sessions/cam-1`)).body).toEqual({ userId: carl.id, sessions: [] });
    const entry = (await feed()).find((r) => r.userId === String(carl.id));
    expect(entry).toBeDefined();
    expect(Date.parse(entry!.revokedBefore)).toBeGreaterThan(decodeJwt(granted).iat! * 1000);
    expect((await auth.request('GET', '/me', { token: granted })).body).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(decodeJwt(await auth.login('carl', PASSWORD))).toMatchObject({ sessions: [] });
  });

  it('keeps a deleted user on the feed (the other services learn of the deletion there)', async () => {
    const dora = await signupAndLogin('dora');
    expect((await asAdmin('DELETE', `/admin/users/${dora.id}`)).status).toBe(204);
    const entry = (await feed()).find((r) => r.userId === String(dora.id));
    expect(Date.parse(entry!.revokedBefore)).toBeGreaterThan(decodeJwt(dora.token).iat! * 1000);
  });

  it('publishes password resets and role removals too', async () => {
    const erin = await signupAndLogin('erin');
    await auth.request('PATCH', `/admin/users/${erin.id}`, { token: adminToken, json: { password: 'another long secret 9' } });
    expect((await feed()).some((r) => r.userId === String(erin.id))).toBe(true);
    const fred = await signupAndLogin('fred');
    await asAdmin('DELETE', `/admin/users/${fred.id}/roles/agent`);
    expect((await feed()).some((r) => r.userId === String(fred.id))).toBe(true);
  });
});
