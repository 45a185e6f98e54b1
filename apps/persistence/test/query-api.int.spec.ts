/** The JWT-protected query API over stored results: auth, validation, pagination, filters, summaries, injection. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistenceHarness, until, type ServiceProcess } from './harness.js';
import { TokenSigner } from '@sightline/security';

const SESSION = 'api-cam';
const FRAMES = 250;
const DB_PASSWORD = 'never-log-me-7f3a';

interface ResultsPage {
  sessionId: string;
  results: Array<{ id: number; sessionId: string; timestamp: string; event: string; payload: Record<string, unknown> }>;
  nextCursor: string | null;
}

describe('persistence query API', () => {
  let h: PersistenceHarness;
  let service: ServiceProcess;
  const tokens: Record<string, string> = {};
  let started: { timestamp: string };

  const get = async (path: string, token: string | null = tokens.agent!) => {
    const res = await fetch(`${service.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    h = await PersistenceHarness.start('persist-api');
    // Trust authentication ignores the password; it is here to prove it never reaches a log line.
    service = await h.startService({ DATABASE_URL: h.pg.url.replace('sightline@', `sightline:${DB_PASSWORD}@`) });
    for (const role of ['agent', 'operator', 'admin', 'viewer']) {
      tokens[role] = (await h.signer.sign({ userId: role.length, username: role, roles: [role], sessions: '*' }, 600)).token;
    }
    started = await h.publishLifecycle(SESSION, 'sessionStarted', { source: { type: 'file', url: '/clips/a.mp4' }, live: false }, 0);
    await h.publishFrames(SESSION, 0, FRAMES, 2);
    await h.publishFrames('api-other', 0, 30, 0);
    await until(() => h.count('SELECT count(*) FROM analysis_results') === FRAMES + 31, 'results stored');
  });
  afterAll(async () => {
    await h?.stop(service);
  });

  it('requires a valid token (401) carrying agent, operator or admin (403)', async () => {
    const path = `/sessions/${SESSION}/summary`;
    expect((await get(path, null)).status).toBe(401);
    expect((await get(path, 'not.a.jwt')).status).toBe(401);
    expect((await get(path, (await h.signer.sign({ userId: 9, username: 'late', roles: ['agent'] }, -60)).token)).body).toMatchObject({
      code: 'TOKEN_EXPIRED',
    });
    const stranger = await TokenSigner.generate();
    expect((await get(path, (await stranger.sign({ userId: 9, username: 'x', roles: ['admin'] }, 60)).token)).status).toBe(401);
    expect(await get(path, tokens.viewer)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    for (const role of ['agent', 'operator', 'admin']) expect((await get(path, tokens[role]!)).status).toBe(200);
  });

  it('gives an agent only the sessions its token grants: results, summaries and the session list', async () => {
    const agentWith = async (sessions: string[]) =>
      (await h.signer.sign({ userId: 77, username: 'scoped', roles: ['agent'], sessions }, 600)).token;
    const none = await agentWith([]);
    const onlyOther = await agentWith(['api-other', 'never-stored']);
    for (const path of [`/sessions/${SESSION}/results`, `/sessions/${SESSION}/summary`, '/sessions/not-stored-anywhere/summary']) {
      expect(await get(path, none)).toMatchObject({ status: 403, body: { code: 'SESSION_FORBIDDEN' } });
      expect(await get(path, onlyOther)).toMatchObject({ status: 403, body: { code: 'SESSION_FORBIDDEN' } });
    }
    expect((await get('/sessions', none)).body).toEqual({ sessions: [], nextCursor: null });
    const listed = (await get('/sessions?limit=1', onlyOther)).body as { sessions: { sessionId: string }[]; nextCursor: string | null };
    expect(listed.sessions.map((s) => s.sessionId)).toEqual(['api-other']);
    expect(listed.nextCursor).toBeNull();
    expect((await get('/sessions/api-other/results?limit=5', onlyOther)).body).toMatchObject({
      sessionId: 'api-other',
      results: expect.any(Array),
    });
    expect(((await get('/sessions', tokens.operator)).body.sessions as unknown[]).length).toBe(2);
  });

  it('pages through a session’s results completely and stably', async () => {
    const seen: ResultsPage['results'] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/sessions/${SESSION}/results?limit=40${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await get(path)).body as unknown as ResultsPage;
      expect((await get(path)).body).toEqual(page);
      expect(page.results.length).toBeLessThanOrEqual(40);
      seen.push(...page.results);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(FRAMES + 1);
    expect(new Set(seen.map((r) => r.id)).size).toBe(FRAMES + 1);
    expect(seen.every((r, i) => i === 0 || r.id > seen[i - 1]!.id)).toBe(true);
    expect(
      seen
        .filter((r) => r.event === 'frameAnalyzed')
        .map((r) => r.payload.frameSeq)
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: FRAMES }, (_, i) => i));
    expect(seen.find((r) => r.event === 'sessionStarted')).toMatchObject({ sessionId: SESSION, payload: { live: false } });
  });

  it('filters by event and time range', async () => {
    const started = (await get(`/sessions/${SESSION}/results?event=sessionStarted`)).body as unknown as ResultsPage;
    expect(started.results).toHaveLength(1);
    // frameResult() stamps frame n at 2025-06-26T15:04:05Z + 10n ms + 12 ms.
    const from = new Date(Date.parse('2025-06-26T15:04:05Z') + 100 * 10 + 12).toISOString();
    const to = new Date(Date.parse('2025-06-26T15:04:05Z') + 110 * 10 + 12).toISOString();
    const window = (await get(`/sessions/${SESSION}/results?event=frameAnalyzed&from=${from}&to=${to}&limit=1000`))
      .body as unknown as ResultsPage;
    expect(window.results.map((r) => r.payload.frameSeq)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(window.nextCursor).toBeNull();
  });

  it('summarises sessions', async () => {
    expect((await get(`/sessions/${SESSION}/summary`)).body).toMatchObject({
      sessionId: SESSION,
      resultCount: FRAMES + 1,
      frameCount: FRAMES,
      detectionCount: FRAMES * 2,
      firstTimestamp: new Date(Date.parse('2025-06-26T15:04:05Z') + 12).toISOString(),
      // sessionStarted was stamped when published, after every frame's capture time.
      lastTimestamp: started.timestamp,
    });
    const list = (await get('/sessions')).body as { sessions: Array<{ sessionId: string; frameCount: number }>; nextCursor: string | null };
    expect(list.sessions.map((s) => [s.sessionId, s.frameCount])).toEqual([
      ['api-cam', FRAMES],
      ['api-other', 30],
    ]);
    expect(list.nextCursor).toBeNull();
    const firstPage = (await get('/sessions?limit=1')).body as { sessions: unknown[]; nextCursor: string };
    expect(firstPage.sessions).toHaveLength(1);
    expect(
      ((await get(`/sessions?limit=1&cursor=${firstPage.nextCursor}`)).body as { sessions: Array<{ sessionId: string }> }).sessions[0]
        ?.sessionId,
    ).toBe('api-other');
    expect(await get('/sessions/nobody/summary')).toMatchObject({ status: 404, body: { code: 'SESSION_NOT_FOUND' } });
  });

  it('refuses bad parameters with 400 and a code, and injection attempts change nothing', async () => {
    const bad: Array<[string, string]> = [
      [`/sessions/${SESSION}/results?limit=0`, 'INVALID_QUERY'],
      [`/sessions/${SESSION}/results?limit=1001`, 'INVALID_QUERY'],
      [`/sessions/${SESSION}/results?limit=ten`, 'INVALID_QUERY'],
      [`/sessions/${SESSION}/results?from=yesterday`, 'INVALID_QUERY'],
      [`/sessions/${SESSION}/results?event=bogus`, 'INVALID_QUERY'],
      [`/sessions/${SESSION}/results?event=frameAnalyzed&event=sessionStarted`, 'INVALID_QUERY'],
      [`/sessions/${SESSION}/results?cursor=forged`, 'INVALID_CURSOR'],
      [`/sessions/${SESSION}/results?event=${encodeURIComponent(`frameAnalyzed' OR '1'='1`)}`, 'INVALID_QUERY'],
      [`/sessions/${encodeURIComponent(`api-cam' OR '1'='1`)}/results`, 'INVALID_SESSION_ID'],
      [`/sessions/${encodeURIComponent(`x'; DROP TABLE analysis_results; --`)}/summary`, 'INVALID_SESSION_ID'],
      [`/sessions?cursor=${Buffer.from(`s:a' OR 'a'='a`).toString('base64url')}`, 'INVALID_CURSOR'],
    ];
    for (const [path, code] of bad) expect(await get(path), path).toMatchObject({ status: 400, body: { code } });
    expect(h.count('SELECT count(*) FROM analysis_results')).toBe(FRAMES + 31);
  });

  it('keeps zones per session: operators and admins change them, agents read them, invalid polygons are refused', async () => {
    const send = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${service.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>) };
    };
    const path = `/sessions/${SESSION}/zones`;
    const zones = {
      zones: [
        {
          id: 'door',
          polygon: [
            { x: 100, y: 100 },
            { x: 400, y: 100 },
            { x: 400, y: 300 },
            { x: 100, y: 300 },
          ],
        },
      ],
      lines: [{ id: 'gate', a: { x: 0, y: 500 }, b: { x: 1920, y: 500 } }],
    };
    expect(await get(path)).toMatchObject({ status: 404, body: { code: 'ZONES_NOT_FOUND' } });
    expect(await send('PUT', path, tokens.agent!, zones)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    // An agent granted only another session cannot read this one's zones (operators and admins see every session).
    const otherAgent = (await h.signer.sign({ userId: 78, username: 'agent-other', roles: ['agent'], sessions: ['api-other'] }, 600)).token;
    expect(await get(path, otherAgent)).toMatchObject({ status: 403, body: { code: 'SESSION_FORBIDDEN' } });
    const bowtie = {
      zones: [
        {
          id: 'x',
          polygon: [
            { x: 0, y: 0 },
            { x: 10, y: 10 },
            { x: 10, y: 0 },
            { x: 0, y: 10 },
          ],
        },
      ],
    };
    const refused = await send('PUT', path, tokens.operator!, bowtie);
    expect(refused).toMatchObject({ status: 400, body: { code: 'INVALID_ZONES' } });
    expect(String(refused.body!.message)).toMatch(/zones\.0\.polygon: polygon is not simple/);
    expect(await send('PUT', path, tokens.operator!, zones)).toMatchObject({ status: 200, body: { sessionId: SESSION, ...zones } });
    expect(await get(path)).toMatchObject({ status: 200, body: { sessionId: SESSION, ...zones, updatedAt: expect.any(String) } });
    expect(await get(path, otherAgent)).toMatchObject({ status: 403, body: { code: 'SESSION_FORBIDDEN' } });
    expect(await send('DELETE', path, tokens.agent!)).toMatchObject({ status: 403 });
    expect((await send('DELETE', path, tokens.admin!)).status).toBe(204);
    expect(await get(path)).toMatchObject({ status: 404 });
  });

  it('serves the OpenAPI document that docs/openapi/persistence.json holds, with every query route', async () => {
    const served = (await (await fetch(`${service.url}/docs-json`)).json()) as { openapi: string; paths: Record<string, object> };
    expect(served.openapi).toMatch(/^3\./);
    expect(Object.keys(served.paths)).toEqual(
      expect.arrayContaining([
        '/sessions',
        '/sessions/{sessionId}/results',
        '/sessions/{sessionId}/summary',
        '/sessions/{sessionId}/zones',
      ]),
    );
    const committed = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../docs/openapi/persistence.json'), 'utf8'));
    expect(committed).toEqual(served);
  });

  it('never logs the database password', () => {
    expect(service.lines.length).toBeGreaterThan(5);
    expect(service.lines.some((l) => l.includes('postgres://***:***@127.0.0.1'))).toBe(true);
    expect(service.lines.filter((l) => l.includes(DB_PASSWORD))).toEqual([]);
  });
});
