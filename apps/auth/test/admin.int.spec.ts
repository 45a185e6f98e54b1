/**
 * The admin API (role `admin`): users and roles, the first administrator from the environment, the last-admin
 * guard, session revocation on role removal, and a 403 for a non-admin on every admin route.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, AuthApp, startDatabase } from './harness.js';

const PASSWORD = 'correct horse battery';

interface User {
  id: number;
  username: string;
  email: string;
  roles: string[];
}

describe('auth service: administration', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;
  let adminToken: string;
  let adminId: number;
  let agentToken: string;

  const asAdmin = <T = User>(method: string, path: string, json?: unknown) => auth.request<T>(method, path, { token: adminToken, json });

  beforeAll(async () => {
    db = await startDatabase('auth-admin');
    auth = await AuthApp.start(db.dir, db.pg.url);
    adminToken = await auth.login(ADMIN.username, ADMIN.password);
    adminId = Number(decodeJwt(adminToken).sub);
    expect((await auth.signup('olga', PASSWORD)).status).toBe(200);
    agentToken = await auth.login('olga', PASSWORD);
  });

  afterAll(async () => {
    await auth?.stop();
    await db?.stop();
  });

  it('creates the first administrator from the environment, and only while no admin exists', async () => {
    expect((await auth.request('GET', '/me', { token: adminToken })).body).toMatchObject({
      username: ADMIN.username,
      email: ADMIN.email,
      roles: ['admin'],
    });
    await auth.stop();
    auth = await AuthApp.start(db.dir, db.pg.url, {
      AUTH_BOOTSTRAP_ADMIN_USERNAME: 'second-admin',
      AUTH_BOOTSTRAP_ADMIN_EMAIL: 'second@sightline.test',
      AUTH_BOOTSTRAP_ADMIN_PASSWORD: 'another admin secret 2',
    });
    expect(db.pg.psql(`SELECT count(*) FROM users WHERE username = 'second-admin'`).trim()).toBe('0');
    expect(
      db.pg
        .psql(
          `SELECT string_agg(u.username, ',') FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id WHERE r.name = 'admin'`,
        )
        .trim(),
    ).toBe(ADMIN.username);
  });

  describe('every admin route', () => {
    const routes: [method: string, path: string, body?: unknown][] = [
      ['GET', '/admin/users'],
      ['POST', '/admin/users', { username: 'mallory', email: 'mallory@example.com', password: PASSWORD }],
      ['GET', '/admin/users/1'],
      ['PATCH', '/admin/users/1', { email: 'mallory@example.com' }],
      ['DELETE', '/admin/users/1'],
      ['PUT', '/admin/users/1/roles/operator'],
      ['DELETE', '/admin/users/1/roles/admin'],
      ['GET', '/admin/roles'],
      ['POST', '/admin/roles', { name: 'mallory' }],
      ['DELETE', '/admin/roles/operator'],
      ['GET', '/admin/users/1/sessions'],
      ['PUT', '/admin/users/1/sessions/cam-1'],
      ['DELETE', '/admin/users/1/sessions/cam-1'],
    ];

    it('is in this table (checked against the OpenAPI document)', async () => {
      const { paths } = (await auth.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/docs-json')).body;
      const documented = Object.entries(paths)
        .filter(([path]) => path.startsWith('/admin'))
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace('{id}', '1').replace('{role}', '')}`));
      const tested = routes.map(
        ([method, path]) => `${method} ${path.replace(/\/roles\/\w+$/, '/roles/').replace(/\/sessions\/[\w-]+$/, '/sessions/{sessionId}')}`,
      );
      expect(new Set(tested)).toEqual(new Set(documented));
    });

    it.each(routes)('%s %s: 403 for a non-admin, 401 without a token', async (method, path, body) => {
      const forbidden = await auth.request(method, path, { token: agentToken, json: body });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toMatchObject({ code: 'FORBIDDEN' });
      const anonymous = await auth.request(method, path, { json: body });
      expect(anonymous.status).toBe(401);
    });

    it('changed nothing for the refused callers', async () => {
      expect(db.pg.psql(`SELECT count(*) FROM users WHERE username = 'mallory' OR email = 'mallory@example.com'`).trim()).toBe('0');
      expect(db.pg.psql(`SELECT count(*) FROM roles WHERE name = 'mallory'`).trim()).toBe('0');
      expect((await auth.request('GET', '/me', { token: adminToken })).body).toMatchObject({ roles: ['admin'] });
    });
  });

  it('creates, searches, pages, updates and deletes users', async () => {
    const carol = await asAdmin('POST', '/admin/users', {
      username: 'carol',
      email: 'carol@example.com',
      password: PASSWORD,
      roles: ['operator'],
    });
    expect(carol.status).toBe(201);
    expect(carol.body).toMatchObject({ username: 'carol', roles: ['operator'] });
    const dave = await asAdmin('POST', '/admin/users', { username: 'dave', email: 'dave@example.com', password: PASSWORD });
    expect(dave.body.roles).toEqual(['agent']);
    const unknownRole = await asAdmin('POST', '/admin/users', {
      username: 'erin',
      email: 'erin@example.com',
      password: PASSWORD,
      roles: ['wizard'],
    });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body).toMatchObject({ fieldErrors: { roles: ['unknown role "wizard"'] } });
    expect((await asAdmin('POST', '/admin/users', { username: 'Carol', email: 'c2@example.com', password: PASSWORD })).status).toBe(409);

    type Page = { items: User[]; total: number; page: number; pageSize: number };
    const search = await asAdmin<Page>('GET', '/admin/users?search=CAR');
    expect(search.body.items.map((u) => u.username)).toEqual(['carol']);
    const byRole = await asAdmin<Page>('GET', '/admin/users?role=operator');
    expect(byRole.body.items.map((u) => u.username)).toEqual(['carol']);
    expect(byRole.body.items[0]!.roles).toEqual(['operator']);
    const page1 = await asAdmin<Page>('GET', '/admin/users?page=1&pageSize=2');
    const page2 = await asAdmin<Page>('GET', '/admin/users?page=2&pageSize=2');
    expect(page1.body).toMatchObject({ total: 4, page: 1, pageSize: 2 });
    expect([...page1.body.items, ...page2.body.items].map((u) => u.username)).toEqual([ADMIN.username, 'olga', 'carol', 'dave']);
    // LIKE wildcards typed by the admin are literal characters.
    expect((await asAdmin<Page>('GET', '/admin/users?search=%25')).body.total).toBe(0);
    expect((await asAdmin<Page>('GET', '/admin/users?search=_')).body.total).toBe(0);
    expect((await asAdmin('GET', '/admin/users?pageSize=1000')).status).toBe(400);

    const updated = await asAdmin('PATCH', `/admin/users/${carol.body.id}`, {
      email: 'Carol.New@example.com',
      roles: ['agent', 'operator'],
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ email: 'carol.new@example.com', roles: ['agent', 'operator'] });
    expect((await asAdmin('PATCH', `/admin/users/${carol.body.id}`, { email: 'dave@example.com' })).status).toBe(409);

    const daveToken = await auth.login('dave', PASSWORD);
    expect((await asAdmin('PATCH', `/admin/users/${dave.body.id}`, { password: 'a brand new secret' })).status).toBe(200);
    expect((await auth.request('POST', '/login', { form: { username: 'dave', password: PASSWORD } })).status).toBe(401);
    expect((await auth.request('GET', '/me', { token: daveToken })).body).toMatchObject({ code: 'TOKEN_REVOKED' });
    const newDaveToken = await auth.login('dave', 'a brand new secret');

    expect((await asAdmin('DELETE', `/admin/users/${dave.body.id}`)).status).toBe(204);
    expect((await asAdmin('GET', `/admin/users/${dave.body.id}`)).status).toBe(404);
    expect((await auth.request('GET', '/me', { token: newDaveToken })).status).toBe(401);
    expect(db.pg.psql(`SELECT count(*) FROM user_roles WHERE user_id = ${dave.body.id}`).trim()).toBe('0');
    expect((await asAdmin('GET', '/admin/users/99999')).body).toMatchObject({ code: 'USER_NOT_FOUND' });
    expect((await asAdmin('GET', '/admin/users/abc')).body).toMatchObject({
      code: 'VALIDATION_FAILED',
      fieldErrors: { id: expect.any(Array) },
    });
  });

  it('manages roles; the seeded roles are protected', async () => {
    const carol = (await asAdmin<{ items: User[] }>('GET', '/admin/users?search=carol')).body.items[0]!;
    const created = await asAdmin('POST', '/admin/roles', { name: 'Auditor' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'auditor', userCount: 0, protected: false });
    expect((await asAdmin('POST', '/admin/roles', { name: 'auditor' })).body).toMatchObject({ code: 'ROLE_EXISTS' });
    expect((await asAdmin('POST', '/admin/roles', { name: 'Bad Name!' })).status).toBe(400);

    expect((await asAdmin('PUT', `/admin/users/${carol.id}/roles/auditor`)).body.roles).toEqual(['agent', 'auditor', 'operator']);
    expect((await asAdmin('PUT', `/admin/users/${carol.id}/roles/auditor`)).status).toBe(200);
    expect((await asAdmin('PUT', `/admin/users/${carol.id}/roles/wizard`)).body).toMatchObject({ code: 'ROLE_NOT_FOUND' });
    expect((await asAdmin('PUT', '/admin/users/99999/roles/auditor')).body).toMatchObject({ code: 'USER_NOT_FOUND' });

    const roles = (await asAdmin<{ name: string; userCount: number; protected: boolean }[]>('GET', '/admin/roles')).body;
    expect(roles).toEqual([
      { id: expect.any(Number), name: 'admin', userCount: 1, protected: true },
      { id: expect.any(Number), name: 'agent', userCount: 2, protected: true },
      { id: expect.any(Number), name: 'auditor', userCount: 1, protected: false },
      { id: expect.any(Number), name: 'operator', userCount: 1, protected: true },
    ]);
    for (const seeded of ['admin', 'operator', 'agent']) {
      expect((await asAdmin('DELETE', `/admin/roles/${seeded}`)).body).toMatchObject({ code: 'ROLE_PROTECTED' });
    }
    expect((await asAdmin('DELETE', '/admin/roles/auditor')).status).toBe(204);
    expect((await asAdmin('GET', `/admin/users/${carol.id}`)).body.roles).toEqual(['agent', 'operator']);
    expect((await asAdmin('DELETE', '/admin/roles/auditor')).body).toMatchObject({ code: 'ROLE_NOT_FOUND' });
  });

  it('revoking a role ends the user’s sessions here; the next login carries the new roles', async () => {
    const carol = (await asAdmin<{ items: User[] }>('GET', '/admin/users?search=carol')).body.items[0]!;
    const before = await auth.login('carol', PASSWORD);
    expect(decodeJwt(before).roles).toEqual(['agent', 'operator']);
    expect((await asAdmin('DELETE', `/admin/users/${carol.id}/roles/operator`)).body.roles).toEqual(['agent']);
    expect((await auth.request('GET', '/me', { token: before })).body).toMatchObject({ code: 'TOKEN_REVOKED' });
    const after = await auth.login('carol', PASSWORD);
    expect(decodeJwt(after).roles).toEqual(['agent']);
    expect((await auth.request('GET', '/me', { token: after })).status).toBe(200);
  });

  it('refuses to remove the last administrator', async () => {
    expect((await asAdmin('DELETE', `/admin/users/${adminId}/roles/admin`)).body).toMatchObject({ code: 'LAST_ADMIN' });
    expect((await asAdmin('PATCH', `/admin/users/${adminId}`, { roles: ['operator'] })).body).toMatchObject({ code: 'LAST_ADMIN' });
    expect((await asAdmin('DELETE', `/admin/users/${adminId}`)).body).toMatchObject({ code: 'LAST_ADMIN' });
    expect((await auth.request('GET', '/me', { token: adminToken })).body).toMatchObject({ roles: ['admin'] });
  });

  it('treats SQL-injection strings in admin input as data', async () => {
    const usersBefore = db.pg.psql('SELECT count(*) FROM users').trim();
    const attack = "' OR '1'='1' --";
    expect((await asAdmin<{ total: number }>('GET', `/admin/users?search=${encodeURIComponent(attack)}`)).body.total).toBe(0);
    expect((await asAdmin('GET', `/admin/users?role=${encodeURIComponent(attack)}`)).status).toBe(400);
    expect((await asAdmin('GET', `/admin/users?page=${encodeURIComponent('1; DROP TABLE users')}`)).status).toBe(400);
    expect((await asAdmin('GET', `/admin/users/${encodeURIComponent('1 OR 1=1')}`)).status).toBe(400);
    expect((await asAdmin('PUT', `/admin/users/${adminId}/roles/${encodeURIComponent("admin'--")}`)).status).toBe(400);
    expect((await asAdmin('DELETE', `/admin/roles/${encodeURIComponent("x' OR '1'='1")}`)).status).toBe(400);
    expect((await asAdmin('POST', '/admin/roles', { name: "x'); DROP TABLE roles; --" })).status).toBe(400);
    expect((await asAdmin('PATCH', `/admin/users/${adminId}`, { email: "'; UPDATE users SET email = 'x" })).status).toBe(400);
    expect((await asAdmin('POST', '/admin/users', { username: attack, email: attack, password: attack, roles: [attack] })).status).toBe(
      400,
    );
    expect(db.pg.psql('SELECT count(*) FROM users').trim()).toBe(usersBefore);
    expect(db.pg.psql(`SELECT string_agg(name, ',' ORDER BY name) FROM roles`).trim()).toBe('admin,agent,operator');
  });
});
