// Ad-hoc measurement (not committed): 2 sessions x 60 fps of frameAnalyzed through the built gateway to 2 SDK agents.
import { LocalNatsServer, makeTempDir, freePort, ManagedProcess } from '@sightline/local-infra';
import { NatsClient, JetStreamPublisher, ensureStreams } from '@sightline/messaging';
import { TokenSigner } from '@sightline/security';
import { makeEnvelope, SUBJECTS, MESSAGE_IDS } from '@sightline/contracts';
import { AnalysisClient } from '@sightline/client';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const FPS = Number(process.env.FPS ?? 60), SECONDS = Number(process.env.SECONDS ?? 15);
const logger = { info() {}, warn() {}, error: console.error };
const nats = await LocalNatsServer.start({ dataDir: await makeTempDir('gwbench') });
const nc = await NatsClient.connect({ url: nats.url, name: 'bench', logger });
await ensureStreams(nc.manager);
const pub = new JetStreamPublisher(nc);
const signer = await TokenSigner.generate();
const jwks = createServer((_q, r) => { r.writeHead(200); r.end(JSON.stringify(signer.jwks())); });
const jwksPort = await freePort(); await new Promise((r) => jwks.listen(jwksPort, '127.0.0.1', r));
const port = await freePort();
const gw = new ManagedProcess('node', [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/gwprof'] : []), 'dist/main.js'], { name: 'gateway', env: { ...process.env, NATS_URL: nats.url, AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/jwks`, HTTP_PORT: String(port), LOG_LEVEL: 'warn' } }).start();
await new Promise((r) => setTimeout(r, 500));
for (let i = 0; i < 100; i++) { try { await fetch(`http://127.0.0.1:${port}/health/live`); break; } catch { await new Promise((r) => setTimeout(r, 200)); } }
const cpu = () => { const f = readFileSync(`/proc/${gw.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const lat = [];
const agents = [];
const AGENTS = Number(process.env.AGENTS ?? 2);
for (let a = 0; a < AGENTS; a++) {
  const token = (await signer.sign({ userId: a, username: `agent${a}`, roles: ['agent'] }, 3600)).token;
  const c = new AnalysisClient({ url: `ws://127.0.0.1:${port}/ws/analysis`, token, sessions: ['s1', 's2'],
    onMessage: (m) => { if (m.event === 'frameAnalyzed') lat.push(Date.now() - Date.parse(m.payload.captureTime)); } });
  await new Promise((r) => { c.once('subscribed', r); c.start(); });
  agents.push(c);
}
const det = (i) => ({ label: 'face', score: 0.93, box: { x: 100 + i, y: 200, w: 180, h: 180 }, keypoints: Array.from({ length: 6 }, (_, k) => ({ x: 150 + k * 10, y: 260 + k })) });
const cpu0 = cpu(); const t0 = Date.now(); let sent = 0;
for (let f = 0; f < FPS * SECONDS; f++) {
  const due = t0 + (f * 1000) / FPS; const wait = due - Date.now(); if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await Promise.all(['s1', 's2'].map((s) => pub.publishJson(SUBJECTS.result(s, 'frameAnalyzed'), makeEnvelope(s, 'frameAnalyzed', {
    frameSeq: f, pts: f / FPS, captureTime: new Date().toISOString(), source: { width: 1920, height: 1080 }, model: 'blazeface', provider: 'cpu', batchSize: 1,
    detections: [det(f % 50)], latency: { queueMs: 1, preprocessMs: 2, inferenceMs: 5, postprocessMs: 1, totalMs: 9 } }), { msgId: MESSAGE_IDS.result(s, 'frameAnalyzed', f) })));
  sent += 2;
}
const expected = sent * AGENTS;
for (let i = 0; i < 100 && lat.length < expected; i++) await new Promise((r) => setTimeout(r, 100));
const cpuUsed = cpu() - cpu0, wall = (Date.now() - t0) / 1000;
lat.sort((a, b) => a - b); const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(JSON.stringify({ published: sent, delivered: lat.length, expected, wallSeconds: wall.toFixed(1), deliveriesPerSecond: (lat.length / wall).toFixed(0),
  latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: lat.at(-1) }, gatewayCpuSeconds: cpuUsed.toFixed(2), gatewayCpuMsPerDelivery: (cpuUsed * 1000 / Math.max(1, lat.length)).toFixed(3), gatewayCpuPercent: (100 * cpuUsed / wall).toFixed(1), loadavg: load }));
for (const c of agents) await c.close();
await gw.stop(); await nc.drain(); jwks.close(); await nats.stop();
