/**
 * The whole pipeline for real (requirements §1.1): a GStreamer RTSP server with Digest auth serves the astronaut clip (a real
 * face moving along a known path, 1080p60 H.264) on its MPEG-TS mount → ingest (our RTSP client + FFmpeg) → FRAMES →
 * inference (BlazeFace on the CPU) → RESULTS → persistence (PostgreSQL) and gateway (/ws/analysis) → an SDK agent.
 * Every service is its built `dist/main.js`, started by LocalFleet with a real nats-server and PostgreSQL.
 *
 * One session runs for a few seconds; the assertions then check what came out at each end: the boxes the agent got
 * follow the face, every message is the envelope of requirements §6.4, RESULTS, the agent and analysis_results hold the same
 * frames (each row exactly once), and every result carries its latency breakdown. A second, short session on the
 * same fleet feeds a 1080p100 file (requirements §12.2: 100 fps per session) and checks that every frame is analysed
 * and stored with its presentation time exactly n/100 s.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  CONSUMERS,
  EVENTS,
  STREAMS,
  TRACKING_EVENTS,
  WS_PATH,
  resultEnvelopeSchema,
  silentLogger,
  type FrameAnalyzedPayload,
  type SessionInfo,
  type StartSessionRequest,
} from '@sightline/contracts';
import { AnalysisClient, loginWithPassword, type AnalysisEvent } from '@sightline/client';
import {
  type AstronautClipParams,
  DEFAULT_ASTRONAUT_CLIP,
  type GstRtspServer,
  makeAstronautClip,
  makeTempDir,
  makeTestClip,
  startGstRtspServer,
  waitUntil,
} from '@sightline/local-infra';
import { NatsClient } from '@sightline/messaging';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalFleet, mediaDir } from '../src/index.js';
import {
  NATS_SERVICES,
  assertServicesBuilt,
  consumerCaughtUp,
  counterValue,
  judgeFace,
  percentile,
  readSessionResults,
  serviceNatsConnections,
  type FaceVerdict,
  type StreamResult,
} from './e2e-support.js';

const CLIP: AstronautClipParams = { ...DEFAULT_ASTRONAUT_CLIP }; // 1920x1080, 60 fps, 4 s, looped by the server
const SESSION_ID = 'e2e-astronaut';
const RTSP_USER = 'camera-operator';
// Characters that need quoting in a Digest header and escaping in a URL, so both paths are exercised.
const RTSP_SECRET = randomBytes(6).toString('hex');
const RTSP_PASSWORD = `d1gest:${RTSP_SECRET}@"/`;
const ADMIN = { username: 'e2e-admin', email: 'e2e-admin@sightline.test', password: randomBytes(18).toString('base64url') };
/** How long the agent collects frameAnalyzed results once the first one arrived. */
const WINDOW_MS = 8000;
const TOLERANCE = { centrePx: 40, minIoU: 0.4, minMatchingShare: 0.9 };
const LATENCY_STAGES = ['decodeMs', 'queueMs', 'preprocessMs', 'inferenceMs', 'postprocessMs', 'totalMs'] as const;

let dataDir: string | undefined;
/** Set while setting up and by any failed test: the services' logs are then kept. */
let keepDataForDiagnosis = true;
let rtsp: GstRtspServer | undefined;
let fleet: LocalFleet | undefined;
let nats: NatsClient | undefined;
let agent: AnalysisClient | undefined;
/** The bootstrap admin's `Bearer …` header, for the ingest API. */
let authorization = '';
/** Warnings and errors the services logged, shown with the summary (their full logs stay under dataDir/logs). */
const serviceProblems: string[] = [];
/** Output lines of any process (services, nats-server, PostgreSQL) that contain the RTSP password. */
let linesLeakingPassword = 0;

/** What each end saw, gathered once by beforeAll; each `it` checks one property of it. */
const observed = {
  received: [] as AnalysisEvent[],
  frames: [] as Array<AnalysisEvent & { event: 'frameAnalyzed' }>,
  faces: [] as FaceVerdict[],
  /** Ingest's own count for the session (DELETE's answer). */
  ingestStats: { framesPublished: 0, framesDropped: 0 },
  framesSkippedStale: 0,
  stream: [] as StreamResult[],
  storedFrames: [] as FrameAnalyzedPayload[],
  storedEvents: new Map<string, number>(),
  servicesRunningAtEnd: [] as string[],
  windowSeconds: 0,
  agentDuplicatesDropped: 0,
};

beforeAll(async () => {
  assertServicesBuilt();
  const dir = (dataDir = await makeTempDir('fleet-e2e'));
  const clip = await makeAstronautClip(CLIP);
  rtsp = await startGstRtspServer({ file: clip, auth: 'digest', username: RTSP_USER, password: RTSP_PASSWORD });
  fleet = await LocalFleet.start({
    dataDir: dir,
    ports: 'free',
    ephemeral: true,
    env: {
      // This test checks what the pipeline computes, not how fast: on the shared 2-core test machine (spec: 4+ cores
      // and a GPU) decode + queue routinely exceed the default 500 ms, and a loaded moment would skip nearly every
      // frame. FRAMES' per-session backlog (30 frames) still bounds the queue.
      inference: { INFERENCE_FRAME_DEADLINE_MS: '5000' },
      auth: {
        AUTH_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
        AUTH_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        AUTH_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      },
    },
    onLine: (source, line) => {
      if (/"level":"(warn|error)"/.test(line)) serviceProblems.push(`[${source}] ${line}`);
      if (line.includes(RTSP_SECRET)) linesLeakingPassword++;
    },
  });
  // The fleet's NATS has identities: the test observes as the provisioning identity (stream and consumer state).
  nats = await NatsClient.connect({ name: 'e2e-test', logger: silentLogger, ...fleet.natsConnectOptions('provisioner') });

  const { accessToken } = await loginWithPassword({ authUrl: fleet.url('auth'), username: ADMIN.username, password: ADMIN.password });
  authorization = `Bearer ${accessToken}`;

  // The agent subscribes before the session starts, so it sees sessionStarted and every result after it.
  agent = new AnalysisClient({
    url: `ws://127.0.0.1:${fleet.endpoints.ports.gateway}${WS_PATH}`,
    token: accessToken,
    sessions: [SESSION_ID],
    policy: 'every',
    onMessage: (event) => observed.received.push(event),
  });
  const subscribed = new Promise((resolve) => agent!.once('subscribed', resolve));
  agent.start();
  await subscribed;

  const request: StartSessionRequest = {
    sessionId: SESSION_ID,
    // The configuration shape of requirements §5.3: `auth: digest`, the credentials as separate keys.
    source: { type: 'rtsp', url: rtsp.url('ts'), auth: 'digest', username: RTSP_USER, password: RTSP_PASSWORD },
  };
  const started = await fetch(`${fleet.url('ingest')}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify(request),
  });
  expect(started.status, await started.clone().text()).toBe(201);

  const frameCount = () => observed.received.filter((e) => e.event === EVENTS.frameAnalyzed).length;
  await waitUntil(() => frameCount() > 0, 'the first frameAnalyzed at the agent', 45_000);
  const windowStart = Date.now();
  const countAtStart = frameCount();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  observed.windowSeconds = (Date.now() - windowStart) / 1000;
  const countInWindow = frameCount() - countAtStart;

  const stopped = await fetch(`${fleet.url('ingest')}/sessions/${SESSION_ID}`, { method: 'DELETE', headers: { authorization } });
  expect(stopped.status, await stopped.clone().text()).toBe(200);
  observed.ingestStats = ((await stopped.json()) as SessionInfo).stats;
  await waitUntil(() => observed.received.some((e) => e.event === EVENTS.sessionStopped), 'sessionStopped at the agent', 20_000);

  // Frames still queued when the session stopped are analysed after sessionStopped: wait for inference to finish
  // them, for persistence to store every result, and for the agent to have received every result in RESULTS.
  await waitUntil(() => consumerCaughtUp(nats!, STREAMS.frames, CONSUMERS.inference), 'inference to drain FRAMES', 30_000);
  await waitUntil(() => consumerCaughtUp(nats!, STREAMS.results, CONSUMERS.tracker()), 'the tracker to follow RESULTS', 30_000);
  await waitUntil(() => consumerCaughtUp(nats!, STREAMS.results, CONSUMERS.persistence), 'persistence to store RESULTS', 30_000);
  // The tracker may still add events after this (objects leave once the session has been idle a while): every result
  // in RESULTS now must reach the agent; the agent's list is then compared with RESULTS read again, as a prefix.
  const inStreamAtStop = (await readSessionResults(nats, SESSION_ID)).length;
  await waitUntil(() => observed.received.length >= inStreamAtStop, 'the agent to receive every result', 15_000);
  observed.agentDuplicatesDropped = agent.duplicatesDropped;
  await agent.close(); // what the agent received ends here
  observed.stream = await readSessionResults(nats, SESSION_ID);
  observed.servicesRunningAtEnd = fleet.running().map((s) => s.name);
  observed.framesSkippedStale = await counterValue(fleet.url('inference'), 'sightline_inference_frames_total', {
    outcome: 'skipped_stale',
  });

  observed.frames = observed.received.filter((e): e is AnalysisEvent & { event: 'frameAnalyzed' } => e.event === EVENTS.frameAnalyzed);
  const storedFrames = fleet.postgres.psql(
    `SELECT coalesce(json_agg(payload ORDER BY id), '[]') FROM analysis_results WHERE session_id = '${SESSION_ID}' AND event = '${EVENTS.frameAnalyzed}'`,
  );
  observed.storedFrames = JSON.parse(storedFrames) as FrameAnalyzedPayload[];
  const eventCounts = fleet.postgres.psql(`SELECT event, count(*) FROM analysis_results WHERE session_id = '${SESSION_ID}' GROUP BY event`);
  for (const line of eventCounts.trim().split('\n').filter(Boolean)) {
    const [event, count] = line.split('|');
    observed.storedEvents.set(event!, Number(count));
  }

  observed.faces = observed.frames.map((e) => judgeFace(e.payload, CLIP, TOLERANCE));

  const totals = observed.frames.map((e) => e.payload.latency.totalMs);
  const stageMedian = (stage: (typeof LATENCY_STAGES)[number]) =>
    percentile(
      observed.frames.flatMap((e) => e.payload.latency[stage] ?? []),
      0.5,
    ).toFixed(1);
  const matched = observed.faces.filter((f) => f.matches);
  const { framesPublished, framesDropped } = observed.ingestStats;
  console.info(
    [
      `e2e: ${observed.frames.length} frames analysed of ${framesPublished} published by ingest (${framesDropped} dropped by ingest ` +
        `as its backlog overflowed, ${observed.framesSkippedStale} skipped by inference as past its deadline); ` +
        `${(countInWindow / observed.windowSeconds).toFixed(1)} fps ` +
        `at the agent over ${observed.windowSeconds.toFixed(1)} s; provider ${observed.frames[0]?.payload.provider}`,
      `  latency capture→result (totalMs): median ${percentile(totals, 0.5).toFixed(0)} ms, p95 ${percentile(totals, 0.95).toFixed(0)} ms; ` +
        `stage medians: ${LATENCY_STAGES.map((stage) => `${stage} ${stageMedian(stage)}`).join(', ')}`,
      `  face on its path: ${matched.length}/${observed.faces.length}; centre error median ` +
        `${percentile(
          matched.map((f) => f.centreErrorPx),
          0.5,
        ).toFixed(1)} px, IoU median ${percentile(
          matched.map((f) => f.iou),
          0.5,
        ).toFixed(2)}`,
      `  ${observed.stream.length} results in RESULTS, ${observed.storedFrames.length} frame rows in PostgreSQL`,
      `  ${serviceProblems.length} warn/error log lines (full logs: ${dir}/logs, removed unless a test fails)`,
      ...serviceProblems.slice(0, 5).map((line) => `    ${line.slice(0, 240)}`),
    ].join('\n'),
  );
  keepDataForDiagnosis = false;
}, 120_000);

beforeEach(({ onTestFailed }) => onTestFailed(() => void (keepDataForDiagnosis = true)));

afterAll(async () => {
  await agent?.close();
  await nats?.drain();
  await fleet?.stop();
  await rtsp?.stop();
  if (!dataDir) return;
  if (keepDataForDiagnosis) console.info(`e2e: kept the fleet's data and logs for diagnosis: ${dataDir}`);
  else await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('RTSP (Digest, MPEG-TS) → ingest → inference → persistence + gateway → SDK agent', () => {
  it('keeps every service up and delivers every result in RESULTS to the agent, in order', () => {
    expect(observed.servicesRunningAtEnd.sort()).toEqual(['auth', 'console', 'gateway', 'inference', 'ingest', 'persistence', 'tracker']);
    expect(observed.frames.length).toBeGreaterThan(60);
    const delivered = observed.stream.slice(0, observed.received.length);
    expect(observed.received.map((e) => e.seq)).toEqual(delivered.map((r) => r.streamSeq));
    expect(observed.received.map((e) => e.event)).toEqual(delivered.map((r) => r.envelope.event));
    expect(observed.agentDuplicatesDropped).toBe(0);
  });

  it("carries every service's NATS traffic over TLS, each under its own identity", async () => {
    expect(await serviceNatsConnections(fleet!)).toEqual(
      Object.fromEntries(NATS_SERVICES.map((s) => [s, { user: s, tls: expect.stringMatching(/^1\.[23]$/) }])),
    );
  });

  it('reports boxes that follow the known trajectory of the face', () => {
    const misses = observed.faces.filter((f) => !f.matches);
    const share = 1 - misses.length / observed.faces.length;
    if (share < TOLERANCE.minMatchingShare) console.info('frames off the path (first 10):', JSON.stringify(misses.slice(0, 10)));
    expect(share).toBeGreaterThanOrEqual(TOLERANCE.minMatchingShare);
    // The face really travelled (a frozen picture would match a stretch of the path, not most of it).
    const detectedX = observed.faces.filter((f) => f.matches).map((f) => f.detected[0]!.x);
    expect(Math.max(...detectedX) - Math.min(...detectedX)).toBeGreaterThan(300);
  });

  it('sends every message as the requirements §6.4 envelope {sessionId, timestamp (UTC), event, payload} plus seq', () => {
    for (const event of observed.received) {
      expect(Object.keys(event).sort()).toEqual(['event', 'payload', 'seq', 'sessionId', 'timestamp']);
      expect(() => resultEnvelopeSchema.parse(event)).not.toThrow();
      expect(event.sessionId).toBe(SESSION_ID);
      expect(event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(Number.isInteger(event.seq)).toBe(true);
    }
    const events = observed.received.map((e) => e.event);
    expect(events[0]).toBe(EVENTS.sessionStarted);
    expect(events.filter((e) => e === EVENTS.sessionStarted)).toHaveLength(1);
    expect(events.filter((e) => e === EVENTS.sessionStopped)).toHaveLength(1);
    const known: string[] = [EVENTS.frameAnalyzed, EVENTS.sessionStarted, EVENTS.sessionStopped, ...TRACKING_EVENTS];
    const unexpected = observed.received.filter((e) => !known.includes(e.event));
    expect(
      unexpected.map((e) => e.event),
      JSON.stringify(unexpected),
    ).toEqual([]);
    // The tracker follows the face: per-frame track ids reach the agent, and each track appears at most once.
    expect(events.filter((e) => e === EVENTS.frameTracked).length).toBeGreaterThan(0);
    const appeared = observed.received
      .filter((e) => e.event === EVENTS.objectAppeared)
      .map((e) => (e.payload as { trackId: number }).trackId);
    expect(appeared.length).toBeGreaterThan(0);
    expect(new Set(appeared).size).toBe(appeared.length);
    const started = observed.received.find((e) => e.event === EVENTS.sessionStarted)!;
    expect(started.payload).toMatchObject({ source: { type: 'rtsp', url: rtsp!.url('ts') }, live: true });
    // The RTSP password never leaves ingest's memory: not in any message, row or log line.
    expect(JSON.stringify(observed.received)).not.toContain(RTSP_SECRET);
    expect(fleet!.postgres.psql(`SELECT count(*) FROM analysis_results WHERE payload::text LIKE '%${RTSP_SECRET}%'`).trim()).toBe('0');
    expect(linesLeakingPassword).toBe(0);
  });

  it('stores every analysed frame in analysis_results exactly once, as delivered', () => {
    const storedBySeq = new Map<number, FrameAnalyzedPayload[]>();
    for (const payload of observed.storedFrames) storedBySeq.set(payload.frameSeq, [...(storedBySeq.get(payload.frameSeq) ?? []), payload]);
    const streamFrameSeqs = observed.stream
      .filter((r) => r.envelope.event === EVENTS.frameAnalyzed)
      .map((r) => (r.envelope.payload as FrameAnalyzedPayload).frameSeq)
      .sort((a, b) => a - b);
    expect(new Set(streamFrameSeqs).size).toBe(streamFrameSeqs.length);
    expect([...storedBySeq.keys()].sort((a, b) => a - b)).toEqual(streamFrameSeqs);
    expect([...storedBySeq.values()].filter((rows) => rows.length !== 1)).toEqual([]);
    for (const { payload } of observed.frames) expect(storedBySeq.get(payload.frameSeq)?.[0]).toEqual(payload);
    expect(observed.storedEvents.get(EVENTS.sessionStarted)).toBe(1);
    expect(observed.storedEvents.get(EVENTS.sessionStopped)).toBe(1);
  });

  it("labels each frame's clocks: captureTime on the ingest host, sourceTime on the camera, stored as delivered", () => {
    // The GStreamer server sends RTCP sender reports: frames after the first one carry the camera's clock too.
    const withCamera = observed.frames.filter((e) => e.payload.sourceTime !== undefined);
    expect(withCamera.length).toBeGreaterThan(0);
    // Same host, so the two clocks agree but for the sender's mux delay (under a second measured on /ts).
    for (const { payload } of withCamera)
      expect(Math.abs(Date.parse(payload.sourceTime!) - Date.parse(payload.captureTime))).toBeLessThan(5000);
    expect(observed.storedFrames.filter((p) => p.sourceTime !== undefined)).toHaveLength(withCamera.length);
  });

  it('carries the latency breakdown in every frameAnalyzed payload', () => {
    for (const { payload } of observed.frames) {
      const { latency } = payload;
      // decodeMs too: RTSP frames are timed from the sample FFmpeg was fed to the picture it returned.
      for (const stage of LATENCY_STAGES) expect(latency[stage]).toBeGreaterThanOrEqual(0);
      expect(latency.inferenceMs).toBeGreaterThan(0);
      // Capture to result spans the stages measured inside inference (1 ms: totalMs comes from the wall clock).
      expect(latency.totalMs + 1).toBeGreaterThanOrEqual(latency.preprocessMs + latency.inferenceMs + latency.postprocessMs);
      expect(payload.source).toEqual({ width: CLIP.width, height: CLIP.height });
    }
  });
});

describe('a 1080p100 file source through the same fleet (requirements §12.2)', () => {
  const FPS = 100;
  const SECONDS = 1;
  const SESSION_100 = 'e2e-1080p100';
  let final: SessionInfo | undefined;
  let stored: FrameAnalyzedPayload[] = [];

  beforeAll(async () => {
    // Ingest reads files under its media root only (INGEST_FILE_ROOT, the fleet's <dataDir>/media).
    const made = await makeTestClip({ width: 1920, height: 1080, fps: FPS, seconds: SECONDS });
    const clip = join(mediaDir(fleet!.endpoints.dataDir), basename(made));
    await copyFile(made, clip);
    // Batch pacing: ingest waits for inference instead of dropping, so every frame of the clip must come out.
    const request: StartSessionRequest = { sessionId: SESSION_100, source: { type: 'file', url: clip, pacing: 'fast' } };
    const started = await fetch(`${fleet!.url('ingest')}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(request),
    });
    expect(started.status, await started.clone().text()).toBe(201);
    const info = async () =>
      (await (await fetch(`${fleet!.url('ingest')}/sessions/${SESSION_100}`, { headers: { authorization } })).json()) as SessionInfo;
    await waitUntil(async () => (final = await info()).state !== 'starting' && final.state !== 'live', 'the 100 fps clip to end', 60_000);
    await waitUntil(() => consumerCaughtUp(nats!, STREAMS.frames, CONSUMERS.inference), 'inference to drain FRAMES', 30_000);
    await waitUntil(() => consumerCaughtUp(nats!, STREAMS.results, CONSUMERS.persistence), 'persistence to store RESULTS', 30_000);
    stored = JSON.parse(
      fleet!.postgres.psql(
        `SELECT coalesce(json_agg(payload ORDER BY (payload->>'frameSeq')::int), '[]') FROM analysis_results ` +
          `WHERE session_id = '${SESSION_100}' AND event = '${EVENTS.frameAnalyzed}'`,
      ),
    ) as FrameAnalyzedPayload[];
  }, 120_000);

  it('analyses and stores every frame once, with pts stepping exactly 1/100 s', () => {
    expect(final).toMatchObject({ state: 'stopped', stats: { framesIn: FPS * SECONDS, framesPublished: FPS * SECONDS, framesDropped: 0 } });
    expect(stored.map((payload) => payload.frameSeq)).toEqual(Array.from({ length: FPS * SECONDS }, (_, n) => n));
    // pts is the integer timestamp × FFmpeg's time base: exact to the doubles' rounding, far below 1e-9 s.
    stored.forEach((payload, n) => expect(payload.pts, `frame ${n}`).toBeCloseTo(n / FPS, 9));
    const steps = stored.slice(1).map((payload, n) => payload.pts - stored[n]!.pts);
    for (const step of steps) expect(step).toBeCloseTo(1 / FPS, 9);
    for (const payload of stored) expect(payload.source).toEqual({ width: 1920, height: 1080 });
  });
});
