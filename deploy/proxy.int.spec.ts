/**
 * The TLS proxy's real configuration (deploy/proxy/Caddyfile) in a real Caddy, with its internal CA issuing the
 * certificate: a wss:// client verified against that CA reaches the gateway with its Authorization header and the
 * `json` subprotocol intact, REST paths reach the right service, and internal endpoints are not exposed. The
 * upstreams are small loopback servers that report what they received.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request } from 'node:https';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ManagedProcess, freePort, makeTempDir, waitForPort, waitUntil } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';

const ROOT = join(import.meta.dirname, '..');

/** An upstream answering every request with its own name, and the gateway stand-in echoing WebSocket messages. */
async function upstream(name: string, upgrades?: IncomingMessage[]): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.method} ${req.url}`));
  if (upgrades) {
    const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('json') ? 'json' : false) });
    wss.on('connection', (socket, req) => {
      upgrades.push(req);
      socket.on('message', (data) => socket.send(`echo:${String(data)}`));
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('TLS reverse proxy (Caddy)', () => {
  const upgrades: IncomingMessage[] = [];
  const servers: Server[] = [];
  let caddy: ManagedProcess;
  let httpsPort: number;
  let httpPort: number;
  let ca: Buffer;
  const logLines: string[] = [];

  /** HTTPS request verified against the proxy's CA, for the name `localhost`. */
  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', servername: 'localhost', port: httpsPort, path, method, ca, headers: { host: 'localhost' } },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    const dataDir = await makeTempDir('sightline-proxy-');
    const [gateway, auth, persistence, ingest, webConsole] = await Promise.all([
      upstream('gateway', upgrades),
      upstream('auth'),
      upstream('persistence'),
      upstream('ingest'),
      upstream('console'),
    ]);
    servers.push(gateway.server, auth.server, persistence.server, ingest.server, webConsole.server);
    [httpsPort, httpPort] = [await freePort(), await freePort()];
    caddy = new ManagedProcess('caddy', ['run', '--config', join(ROOT, 'deploy/proxy/Caddyfile'), '--adapter', 'caddyfile'], {
      name: 'caddy',
      onLine: (line) => logLines.push(line),
      env: {
        PATH: process.env.PATH,
        HOME: dataDir,
        XDG_DATA_HOME: join(dataDir, 'data'),
        XDG_CONFIG_HOME: join(dataDir, 'config'),
        SIGHTLINE_DOMAIN: 'localhost',
        SIGHTLINE_TLS: 'internal',
        SIGHTLINE_HTTPS_PORT: String(httpsPort),
        SIGHTLINE_HTTP_PORT: String(httpPort),
        SIGHTLINE_GATEWAY_UPSTREAM: `127.0.0.1:${gateway.port}`,
        SIGHTLINE_AUTH_UPSTREAM: `127.0.0.1:${auth.port}`,
        SIGHTLINE_PERSISTENCE_UPSTREAM: `127.0.0.1:${persistence.port}`,
        SIGHTLINE_INGEST_UPSTREAM: `127.0.0.1:${ingest.port}`,
        SIGHTLINE_CONSOLE_UPSTREAM: `127.0.0.1:${webConsole.port}`,
      },
    }).start();
    await waitForPort(httpsPort, '127.0.0.1', 30_000);
    ca = readFileSync(join(dataDir, 'data/caddy/pki/authorities/local/root.crt'));
  });

  afterAll(async () => {
    await caddy?.stop();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('terminates wss:// for /ws/analysis: certificate verified, bearer token and subprotocol passed through', async () => {
    const socket = new WebSocket(`wss://localhost:${httpsPort}/ws/analysis`, 'json', {
      headers: { Authorization: 'Bearer test-token' },
      ca,
      lookup: (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]),
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    expect(socket.protocol).toBe('json');
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('{"type":"subscribe"}');
    expect(await reply).toBe('echo:{"type":"subscribe"}');
    socket.close();
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0].url).toBe('/ws/analysis');
    expect(upgrades[0].headers.authorization).toBe('Bearer test-token');
    expect(upgrades[0].headers['x-forwarded-proto']).toBe('https');
  });

  it('writes no token to its access log: query tokens replaced, the WebSocket subprotocol token dropped', async () => {
    const jwt = 'eyJhbGciOiJFZERTQSJ9.secret-jwt-payload.signature';
    const socket = new WebSocket(`wss://localhost:${httpsPort}/ws/analysis`, ['json', jwt], {
      ca,
      lookup: (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]),
    });
    await new Promise((resolve) => socket.once('open', resolve).once('error', resolve).once('unexpected-response', resolve));
    socket.terminate();
    expect((await get('/password-reset/confirm?token=secret-reset-token&x=1', 'GET')).status).toBeGreaterThan(0);
    await waitUntil(
      () => logLines.some((l) => l.includes('/password-reset/confirm')) && logLines.some((l) => l.includes('/ws/analysis')),
      'access log lines',
      10_000,
    );
    const access = logLines.filter((l) => l.includes('"request"'));
    expect(access.join('\n')).not.toContain('secret-reset-token');
    expect(access.join('\n')).not.toContain('secret-jwt-payload');
    expect(access.find((l) => l.includes('/password-reset/confirm'))).toContain('token=REDACTED');
  });

  it('routes the REST APIs to their services', async () => {
    expect((await get('/sessions/cam-1/results?limit=5')).body).toBe('persistence GET /sessions/cam-1/results?limit=5');
    expect((await get('/sessions/cam-1/summary')).body).toBe('persistence GET /sessions/cam-1/summary');
    expect((await get('/sessions/cam-1/zones', 'PUT')).body).toBe('persistence PUT /sessions/cam-1/zones');
    expect((await get('/sessions/cam-1/picture.jpg')).body).toBe('ingest GET /sessions/cam-1/picture.jpg');
    expect((await get('/sessions', 'POST')).body).toBe('ingest POST /sessions');
    expect((await get('/sessions/cam-1', 'DELETE')).body).toBe('ingest DELETE /sessions/cam-1');
    expect((await get('/login', 'POST')).body).toBe('auth POST /login');
    expect((await get('/.well-known/jwks.json')).body).toBe('auth GET /.well-known/jwks.json');
    const hsts = (await get('/login', 'POST')).headers['strict-transport-security'];
    expect(hsts).toBe('max-age=31536000');
  });

  it('serves the web console under /console/ and opens it from the root', async () => {
    expect((await get('/console/')).body).toBe('console GET /console/');
    expect((await get('/console/assets/index-abc.js')).body).toBe('console GET /console/assets/index-abc.js');
    expect((await get('/console')).body).toBe('console GET /console');
    expect((await get('/consoles')).body).toBe('auth GET /consoles');
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/console/');
  });

  it('keeps metrics, health, the autoscaler and the token revocation feed off the public endpoint', async () => {
    for (const path of [
      '/metrics',
      '/health',
      '/health/ready',
      '/autoscaler/status',
      '/token-revocations',
      // The services' router takes these too (case-insensitive, trailing slash).
      '/token-revocations/',
      '/Token-Revocations',
      '/METRICS/',
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest({ host: '127.0.0.1', port: httpPort, path: '/login', headers: { host: 'localhost' } }, resolve)
        .on('error', reject)
        .end(),
    );
    res.resume();
    expect(res.statusCode).toBe(308);
    // (Caddy names the port only when it is not 443; in compose it is 443.)
    expect(new URL(res.headers.location!)).toMatchObject({ protocol: 'https:', hostname: 'localhost', pathname: '/login' });
  });
});
