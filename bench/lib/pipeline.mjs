// The real fleet under load: N sessions of the clip through ingest → inference → gateway (+ persistence), measured
// from the agent's side (capture → WebSocket delivery) and per service (CPU, RSS).
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { AnalysisClient } from '@sightline/client';
import { REVOCATIONS_PATH } from '@sightline/contracts';
import { LocalFleet } from '@sightline/fleet';
import { parsePrometheusText, sumSamples } from '@sightline/observability';
import { TokenSigner } from '@sightline/security';
import { percentile, sampleTrees } from './proc-stats.mjs';

async function scrape(fleet, name) {
  const texts = await Promise.all(fleet.running(name).map(async (s) => (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text()));
  return texts.join('\n');
}

async function counters(fleet) {
  const [ingest, inference] = (await Promise.all([scrape(fleet, 'ingest'), scrape(fleet, 'inference')])).map(parsePrometheusText);
  return {
    dropped: sumSamples(ingest, 'sightline_ingest_frames_total', { outcome: 'dropped' }),
    published: sumSamples(ingest, 'sightline_ingest_frames_total', { outcome: 'published' }),
    skipped: sumSamples(inference, 'sightline_inference_frames_total', { outcome: 'skipped_stale' }),
    analyzed: sumSamples(inference, 'sightline_inference_frames_total', { outcome: 'analyzed' }),
  };
}

/**
 * Results stored by persistence against results published by inference, over the whole run: persistence acks a
 * result only once stored, so once it has caught up (polled up to `timeoutMs`) the two must be equal. The rows are
 * counted before the results each time (a row is only ever stored for a result already published, so the rows can
 * never lead), and the count is taken once the same pair has been read twice: results still in flight when the
 * sessions stop are published and stored before it, not counted on one side only.
 */
async function storedVersusPublished(fleet, mode, timeoutMs = 60_000) {
  const count = () =>
    Number(
      fleet.postgres
        .psql(`SELECT count(*) FROM analysis_results WHERE event = 'frameAnalyzed' AND session_id LIKE 'bench-${mode}-%'`)
        .trim(),
    );
  const read = async () => {
    const stored = count();
    return { stored, published: (await counters(fleet)).analyzed };
  };
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await read();
    const settled = now.stored === now.published && now.stored === last.stored && now.published === last.published;
    last = now;
    if (settled || Date.now() >= deadline) return last;
  }
}

/**
 * A JWKS endpoint for the benchmark's own signing key: the fleet's token checks stay real without the auth service.
 * Beside it, the revocation feed the services poll from the same origin: none revoked (answering it with the JWKS made
 * every service log `token revocation feed unavailable` in every run).
 */
async function serveJwks(signer) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url?.startsWith(REVOCATIONS_PATH) ? { revocations: [] } : signer.jwks()));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`, close: () => server.close() };
}

/**
 * @param {{ sessions: number, mode: 'live'|'fast', seconds: number, warmupSeconds: number, clip: string,
 *   clipFrames: number, clipFps: number, dataDir: string, provider: string, postgres: boolean,
 *   command?: (name: string) => { command: string, args: string[] }, inferenceEnv?: Record<string,string>,
 *   ingestEnv?: Record<string,string>, persistenceEnv?: Record<string,string>, maxFps?: number,
 *   inferenceReplicas?: number,
 *   log: (line: string) => void }} o
 */
export async function runPipeline(o) {
  const signer = await TokenSigner.generate();
  const jwks = await serveJwks(signer);
  const services = o.postgres ? ['persistence', 'inference', 'gateway', 'ingest'] : ['inference', 'gateway', 'ingest'];
  const withJwks = { AUTH_JWKS_URL: jwks.url };
  const fleet = await LocalFleet.start({
    dataDir: o.dataDir,
    ports: 'free',
    ephemeral: true,
    postgres: o.postgres,
    // NATS over TLS as deployed (the fleet makes its certificates with `openssl`); SIGHTLINE_BENCH_NATS_TLS=0 runs
    // plaintext, for a host without openssl (remote.sh says so in the step's log).
    natsTls: process.env.SIGHTLINE_BENCH_NATS_TLS !== '0',
    services,
    command: o.command,
    env: {
      persistence: { ...withJwks, ...o.persistenceEnv },
      gateway: { ...withJwks, GATEWAY_MAX_CONNECTIONS: '64' },
      // The clip lies in the media cache, not under the fleet's media root: make its folder the root.
      ingest: { ...withJwks, INGEST_FILE_ROOT: dirname(o.clip), INGEST_MAX_SESSIONS: String(Math.max(8, o.sessions)), ...o.ingestEnv },
      inference: { INFERENCE_PROVIDER: o.provider, LOG_LEVEL: 'warn', ...o.inferenceEnv },
    },
  });
  for (let i = 1; i < (o.inferenceReplicas ?? 1); i++) await fleet.startService('inference');
  const { token } = await signer.sign({ userId: 1, username: 'bench', roles: ['operator'] }, 3600);
  const window = { open: false, frames: 0, perSession: new Map(), latencies: [], stages: {} };
  let totalAnalyzed = 0;
  const client = new AnalysisClient({
    url: `ws://127.0.0.1:${fleet.endpoints.ports.gateway}/ws/analysis`,
    token,
    sessions: '*',
    policy: 'every',
    onMessage: (event) => {
      if (event.event !== 'frameAnalyzed') return;
      totalAnalyzed++;
      if (!window.open) return;
      const receivedAt = Date.now();
      const p = event.payload;
      window.frames++;
      window.perSession.set(event.sessionId, (window.perSession.get(event.sessionId) ?? 0) + 1);
      window.latencies.push(receivedAt - Date.parse(p.captureTime));
      for (const [stage, ms] of Object.entries(p.latency)) (window.stages[stage] ??= []).push(ms);
    },
  });
  client.start();
  await new Promise((r) => setTimeout(r, 500));

  const ids = Array.from({ length: o.sessions }, (_, i) => `bench-${o.mode}-${i}`);
  for (const sessionId of ids) {
    const res = await fetch(`${fleet.url('ingest')}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        sessionId,
        source: {
          type: 'file',
          url: o.clip,
          loop: o.mode === 'live',
          pacing: o.mode === 'live' ? 'realtime' : 'fast',
          ...(o.maxFps && { maxFps: o.maxFps }),
        },
      }),
    });
    if (!res.ok) throw new Error(`start ${sessionId}: HTTP ${res.status} ${await res.text()}`);
  }

  await new Promise((r) => setTimeout(r, o.warmupSeconds * 1000));
  const pids = Object.fromEntries(fleet.running().map((s) => [s.instance ? `${s.name}-${s.instance}` : s.name, s.process.pid]));
  pids['nats-server'] = fleet.nats.pid;
  // Counted apart: the bare baselines store nothing, and the runs before 2026-12-08 left PostgreSQL out of the total.
  if (o.postgres) pids.postgres = fleet.postgres.pid;
  const before = await counters(fleet);
  const sampler = sampleTrees(pids);
  window.open = true;
  const started = performance.now();
  if (o.mode === 'live') {
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
  } else {
    // Unpaced: until every frame of every session is analysed (or the time budget runs out); with a rate limit,
    // every frame the limit keeps.
    const target = o.sessions * Math.floor(o.clipFrames * Math.min(1, (o.maxFps ?? o.clipFps) / o.clipFps));
    const deadline = Date.now() + o.seconds * 1000;
    while (totalAnalyzed < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }
  window.open = false;
  const elapsed = (performance.now() - started) / 1000;
  const usage = sampler.stop();
  const after = await counters(fleet);

  for (const sessionId of ids) {
    await fetch(`${fleet.url('ingest')}/sessions/${sessionId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  }
  const results = o.postgres ? await storedVersusPublished(fleet, o.mode) : undefined;
  await client.close();
  await fleet.stop();
  jwks.close();

  const cpuSeconds = Object.entries(usage).reduce((a, [name, u]) => a + (name === 'postgres' ? 0 : u.cpuSeconds), 0);
  const stageMedians = Object.fromEntries(Object.entries(window.stages).map(([k, v]) => [k, percentile(v, 50)]));
  const stageP99 = Object.fromEntries(Object.entries(window.stages).map(([k, v]) => [k, percentile(v, 99)]));
  return {
    mode: o.mode,
    sessions: o.sessions,
    seconds: elapsed,
    frames: window.frames,
    fpsTotal: window.frames / elapsed,
    fpsPerSession: ids.map((id) => (window.perSession.get(id) ?? 0) / elapsed),
    latency: { p50: percentile(window.latencies, 50), p95: percentile(window.latencies, 95), p99: percentile(window.latencies, 99) },
    stageMedians,
    stageP99,
    dropped: after.dropped - before.dropped,
    skipped: after.skipped - before.skipped,
    usage,
    ...(results && { resultsPublished: results.published, rowsStored: results.stored }),
    cpuMsPerFrame: (1000 * cpuSeconds) / Math.max(1, window.frames),
    ...(usage.postgres && { postgresCpuMsPerFrame: (1000 * usage.postgres.cpuSeconds) / Math.max(1, window.frames) }),
  };
}
