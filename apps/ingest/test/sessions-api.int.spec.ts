/**
 * The ingest service as deployed (Nest app, real nats-server, FFmpeg, tokens verified against a JWKS served over
 * HTTP like the auth service does): session API roles, lifecycle events, snapshots, metrics, boot sessions from
 * INGEST_SESSIONS_FILE, and sessions stopped on shutdown.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { type INestApplication } from '@nestjs/common';
import { ROLES, type SessionInfo } from '@sightline/contracts';
import { LocalNatsServer, ffmpegPath, freePort, makeTempDir, makeTestClip } from '@sightline/local-infra';
import { NatsClient } from '@sightline/messaging';
import { TokenSigner } from '@sightline/security';
import { startAuthStub, type AuthStub } from '@sightline/security/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCollector, testLogger, until } from '@sightline/video/testing';
import { AppModule } from '../src/app.module.js';
import { loadIngestConfig } from '../src/config.js';
import { configureHttp } from '../src/openapi.js';

let nats: LocalNatsServer;
/** The stand-in auth service: its keys and its revocation feed. */
let authStub: AuthStub;
let app: INestApplication;
let appClosed = false;
let client: NatsClient;
let base: string;
let signer: TokenSigner;
let clip: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  process.env.LOG_LEVEL ??= 'warn';
  const dir = await makeTempDir('ingest-api');
  [nats, clip] = await Promise.all([
    LocalNatsServer.start({ dataDir: dir }),
    makeTestClip({ seconds: 2, width: 640, height: 360, fps: 30 }),
  ]);
  signer = await TokenSigner.generate();
  for (const role of [ROLES.admin, ROLES.operator, ROLES.agent]) {
    tokens[role] = (await signer.sign({ userId: role, username: `${role}-user`, roles: [role], sessions: '*' }, 600)).token;
  }
  // Agents granted only the boot session, and none at all (a fresh signup).
  tokens.bootViewer = (
    await signer.sign({ userId: 'boot-viewer', username: 'boot-viewer', roles: [ROLES.agent], sessions: ['boot'] }, 600)
  ).token;
  tokens.newcomer = (await signer.sign({ userId: 'newcomer', username: 'newcomer', roles: [ROLES.agent], sessions: [] }, 600)).token;
  authStub = await startAuthStub(signer);

  const sessionsFile = join(dir, 'sessions.yaml');
  await writeFile(sessionsFile, `sessions:\n  - sessionId: boot\n    source: { type: file, url: ${clip}, loop: true }\n`);
  const port = await freePort();
  const config = loadIngestConfig({
    NATS_URL: nats.url,
    HTTP_PORT: String(port),
    AUTH_JWKS_URL: authStub.jwksUrl,
    INGEST_SESSIONS_FILE: sessionsFile,
    INGEST_MAX_SESSIONS: '3',
    INGEST_FILE_ROOT: dirname(clip),
    // No inference runs here: sessions that live this long report NO_RESULTS (the other tests' sessions are shorter).
    INGEST_NO_RESULTS_WARN_MS: '6000',
    FFMPEG_PATH: await ffmpegPath(),
  });
  app = await NestFactory.create(AppModule.register(config), { logger: false });
  configureHttp(app);
  await app.listen(port, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
  client = await NatsClient.connect({ url: nats.url, name: 'ingest-api-test', logger: testLogger });
});

afterAll(async () => {
  if (!appClosed) await app?.close();
  await client?.drain();
  await authStub?.close();
  await nats?.stop();
});

function call(method: string, path: string, role?: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(role && { authorization: `Bearer ${tokens[role]}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Width and height from a baseline or progressive JPEG's start-of-frame segment. */
function jpegSize(jpeg: Buffer): { width: number; height: number } | undefined {
  expect([jpeg[0], jpeg[1], jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
  for (let offset = 2; offset + 9 < jpeg.length; offset += 2 + jpeg.readUInt16BE(offset + 2)) {
    const marker = jpeg[offset + 1]!;
    if (marker === 0xc0 || marker === 0xc2) return { width: jpeg.readUInt16BE(offset + 7), height: jpeg.readUInt16BE(offset + 5) };
  }
  return undefined;
}

const fileSession = (sessionId: string) => ({ sessionId, source: { type: 'file', url: clip, loop: true } });

describe('ingest session API', () => {
  it('starts the sessions of INGEST_SESSIONS_FILE at boot', async () => {
    const res = await call('GET', '/sessions', ROLES.operator);
    expect(res.status).toBe(200);
    const sessions = (await res.json()) as SessionInfo[];
    expect(sessions).toEqual([expect.objectContaining({ sessionId: 'boot', source: { type: 'file', url: clip, live: true } })]);
  });

  it('shows an agent only its granted sessions, without the source URL, and refuses the others alike (403)', async () => {
    const started = await call('POST', '/sessions', ROLES.operator, fileSession('not-granted'));
    expect(started.status).toBe(201);
    try {
      const listed = (await (await call('GET', '/sessions', 'bootViewer')).json()) as SessionInfo[];
      expect(listed.map((s) => s.sessionId)).toEqual(['boot']);
      expect(listed[0]!.source).toEqual({ type: 'file', live: true });
      expect(await (await call('GET', '/sessions/boot', 'bootViewer')).json()).toMatchObject({
        sessionId: 'boot',
        source: { type: 'file', live: true },
      });
      expect(await (await call('GET', '/sessions', 'newcomer')).json()).toEqual([]);
      for (const path of [
        '/sessions/not-granted',
        '/sessions/not-granted/snapshot.jpg',
        '/sessions/not-granted/picture.jpg',
        '/sessions/does-not-exist',
        '/sessions/boot/snapshot.jpg',
        '/sessions/boot/picture.jpg',
      ]) {
        const role = path.startsWith('/sessions/boot') ? 'newcomer' : 'bootViewer';
        const refused = await call('GET', path, role);
        expect({ path, status: refused.status }).toEqual({ path, status: 403 });
        expect(await refused.json()).toMatchObject({ code: 'SESSION_FORBIDDEN' });
      }
    } finally {
      await call('DELETE', '/sessions/not-granted', ROLES.operator);
    }
  });

  it('refuses a token within seconds of its revocation at the auth service (401 TOKEN_REVOKED)', async () => {
    tokens.revoked = (
      await signer.sign({ userId: 'revoked-user', username: 'revoked-user', roles: [ROLES.agent], sessions: '*' }, 600)
    ).token;
    expect((await call('GET', '/sessions', 'revoked')).status).toBe(200);
    authStub.revocations.push({ userId: 'revoked-user', revokedBefore: new Date(Date.now() + 2000).toISOString() });
    // The feed is polled every 2 s.
    const refused = await until(
      async () => {
        const res = await call('GET', '/sessions/boot', 'revoked');
        return res.status === 401 && res;
      },
      'the revocation to reach ingest',
      10_000,
    );
    expect(await refused.json()).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect((await call('GET', '/sessions/boot', 'bootViewer')).status).toBe(200);
  });

  it('requires a token, and the operator or admin role to start and stop sessions', async () => {
    expect((await call('GET', '/sessions')).status).toBe(401);
    expect((await call('POST', '/sessions', undefined, fileSession('anon'))).status).toBe(401);
    const forbidden = await call('POST', '/sessions', ROLES.agent, fileSession('by-agent'));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await call('DELETE', '/sessions/boot', ROLES.agent)).status).toBe(403);
    expect((await call('GET', '/sessions/by-agent', ROLES.admin)).status).toBe(404);
  });

  it('lets an operator start, inspect, snapshot and stop a session, with lifecycle events on the stream', async () => {
    const events = await EventCollector.start(client, 'api-1');
    const started = await call('POST', '/sessions', ROLES.operator, fileSession('api-1'));
    expect(started.status).toBe(201);
    expect(await started.json()).toEqual({ sessionId: 'api-1' });

    const live = await until(async () => {
      const info = (await (await call('GET', '/sessions/api-1', ROLES.agent)).json()) as SessionInfo;
      return info.state === 'live' && info.stats.framesPublished > 10 && info;
    }, 'a live session');
    expect(live).toMatchObject({ sessionId: 'api-1', source: { type: 'file', live: true } });

    const snapshot = await until(async () => {
      const res = await call('GET', '/sessions/api-1/snapshot.jpg', ROLES.agent);
      return res.status === 200 && res;
    }, 'a snapshot');
    expect(snapshot.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await snapshot.arrayBuffer());
    expect([jpeg[0], jpeg[1], jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);

    const duplicate = await call('POST', '/sessions', ROLES.admin, fileSession('api-1'));
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ code: 'SESSION_EXISTS' });

    const stopped = await call('DELETE', '/sessions/api-1', ROLES.operator);
    expect(stopped.status).toBe(200);
    expect(await stopped.json()).toMatchObject({ sessionId: 'api-1', state: 'stopped', stoppedAt: expect.any(String) });
    const stoppedEvent = await events.waitFor('sessionStopped');
    await events.stop();
    expect(events.names()).toEqual(['sessionStarted', 'sessionStopped']);
    expect(stoppedEvent.payload).toMatchObject({ reason: 'stopped' });
    expect(stoppedEvent.payload.framesPublished).toBeGreaterThan(10);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/sightline_ingest_frames_total\{session="api-1",outcome="published",service="ingest"\} \d+/);
    expect(metrics).toContain('sightline_ingest_session_state{session="api-1",state="stopped",service="ingest"} 1');
  });

  it('encodes the source picture only for a viewer granted the session, at the source size (up to 960 px wide)', async () => {
    const picturesEncoded = async () => {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const value = /sightline_ingest_source_picture_encodes_total\{session="picture-1",service="ingest"\} (\d+)/.exec(metrics)?.[1];
      return value === undefined ? undefined : Number(value);
    };
    expect((await call('POST', '/sessions', ROLES.operator, fileSession('picture-1'))).status).toBe(201);
    try {
      // Decoded for a second of video and more (4 source pictures a second are decoded): none is encoded unasked.
      await until(async () => {
        const info = (await (await call('GET', '/sessions/picture-1', ROLES.operator)).json()) as SessionInfo;
        return info.stats.framesPublished > 45;
      }, 'a second and a half of frames');
      expect(await picturesEncoded()).toBe(0);
      expect((await call('GET', '/sessions/picture-1/picture.jpg')).status).toBe(401);
      for (const role of ['bootViewer', 'newcomer']) {
        const refused = await call('GET', '/sessions/picture-1/picture.jpg', role);
        expect({ role, status: refused.status }).toEqual({ role, status: 403 });
        expect(await refused.json()).toMatchObject({ code: 'SESSION_FORBIDDEN' });
      }
      expect(await picturesEncoded()).toBe(0);

      const picture = await call('GET', '/sessions/picture-1/picture.jpg', ROLES.agent);
      expect(picture.status).toBe(200);
      expect(picture.headers.get('content-type')).toBe('image/jpeg');
      expect(picture.headers.get('cache-control')).toBe('no-store');
      expect(picture.headers.get('x-source-size')).toBe('640x360');
      // The frame it shows: one of the frames decoded so far (sequence numbers from 0, no fps limit here).
      const decoded = ((await (await call('GET', '/sessions/picture-1', ROLES.operator)).json()) as SessionInfo).stats.framesIn;
      expect(Number(picture.headers.get('x-frame-seq'))).toBeGreaterThan(0);
      expect(Number(picture.headers.get('x-frame-seq'))).toBeLessThan(decoded);
      // The clip is 640×360: below the preview width, so the picture keeps the source size (not the 256×256 model input).
      expect(jpegSize(Buffer.from(await picture.arrayBuffer()))).toEqual({ width: 640, height: 360 });
      expect(await picturesEncoded()).toBe(1);
    } finally {
      await call('DELETE', '/sessions/picture-1', ROLES.operator);
    }
    const missing = await call('GET', '/sessions/no-such/picture.jpg', ROLES.admin);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('starts a session with zones: validated like the zones API, announced in its sessionStarted event', async () => {
    const zones = {
      zones: [
        {
          id: 'door',
          polygon: [
            { x: 10, y: 10 },
            { x: 300, y: 10 },
            { x: 300, y: 200 },
          ],
        },
      ],
      lines: [{ id: 'gate', a: { x: 320, y: 0 }, b: { x: 320, y: 360 } }],
    };
    const bowTie = {
      zones: [
        {
          id: 'bad',
          polygon: [
            { x: 0, y: 0 },
            { x: 100, y: 100 },
            { x: 100, y: 0 },
            { x: 0, y: 100 },
          ],
        },
      ],
    };
    const refused = await call('POST', '/sessions', ROLES.operator, { ...fileSession('zoned'), zones: bowTie });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      code: 'INVALID_MESSAGE',
      message: expect.stringMatching(/zones\.zones\.0\.polygon.*not simple/),
    });
    expect((await call('GET', '/sessions/zoned', ROLES.operator)).status).toBe(404);

    const events = await EventCollector.start(client, 'zoned');
    expect((await call('POST', '/sessions', ROLES.operator, { ...fileSession('zoned'), zones })).status).toBe(201);
    try {
      const started = await events.waitFor('sessionStarted');
      expect(started.payload.zones).toEqual(zones);
    } finally {
      await call('DELETE', '/sessions/zoned', ROLES.operator);
      await events.stop();
    }
  });

  it('refuses invalid requests and too many sessions with a code', async () => {
    const invalid = await call('POST', '/sessions', ROLES.operator, { source: { type: 'webcam', url: 'x' } });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('source.type') });
    const outsideDevices = await call('POST', '/sessions', ROLES.operator, { source: { type: 'device', url: '/etc/passwd' } });
    expect(outsideDevices.status).toBe(400);
    expect(await outsideDevices.json()).toMatchObject({ code: 'INVALID_SOURCE' });

    // INGEST_MAX_SESSIONS=3 and "boot" runs: two more fit, the third is refused.
    for (const id of ['limit-1', 'limit-2']) expect((await call('POST', '/sessions', ROLES.operator, fileSession(id))).status).toBe(201);
    const refused = await call('POST', '/sessions', ROLES.operator, fileSession('limit-3'));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'SESSION_LIMIT_REACHED' });
    for (const id of ['limit-1', 'limit-2']) expect((await call('DELETE', `/sessions/${id}`, ROLES.admin)).status).toBe(200);
  });

  it('refuses credentials with control characters (they would split the RTSP request) with INVALID_MESSAGE', async () => {
    const injected = await call('POST', '/sessions', ROLES.operator, {
      source: { type: 'rtsp', url: 'rtsp://camera.local/stream', auth: { type: 'digest', username: 'op\r\nX-Injected: 1', password: 'p' } },
    });
    expect(injected.status).toBe(400);
    expect(await injected.json()).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('control characters') });
  });

  it('shows a session whose frames get no results (no inference here) on its status and in /health details, still ready', async () => {
    const info = await until(async () => {
      const body = (await (await call('GET', '/sessions/boot', ROLES.agent)).json()) as SessionInfo;
      return body.warnings?.length ? body : undefined;
    }, 'the NO_RESULTS warning');
    expect(info.warnings).toEqual([
      expect.objectContaining({ code: 'NO_RESULTS', message: expect.stringContaining('without any result') }),
    ]);
    expect(info.stats.resultsSeen).toBe(0);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', details: { sessionWarnings: { boot: [{ code: 'NO_RESULTS' }] } } });
  });

  it('serves the OpenAPI document that docs/openapi/ingest.json holds, with every session route', async () => {
    const served = (await (await fetch(`${base}/docs-json`)).json()) as { openapi: string; paths: Record<string, Record<string, object>> };
    expect(served.openapi).toMatch(/^3\./);
    expect(Object.keys(served.paths['/sessions']!)).toEqual(['post', 'get']);
    expect(Object.keys(served.paths['/sessions/{id}']!)).toEqual(['get', 'delete']);
    expect(Object.keys(served.paths['/sessions/{id}/snapshot.jpg']!)).toEqual(['get']);
    const committed = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../docs/openapi/ingest.json'), 'utf8'));
    expect(committed).toEqual(served);
  });

  it('stops every session with reason "shutdown" when the service shuts down', async () => {
    const events = await EventCollector.start(client, 'boot');
    await app.close();
    appClosed = true;
    const stopped = await events.waitFor('sessionStopped');
    await events.stop();
    expect(stopped.payload.reason).toBe('shutdown');
  });
});
