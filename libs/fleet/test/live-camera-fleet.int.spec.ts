/**
 * The live-camera conformance rows through the whole fleet: GStreamer's RTSP server as a live camera (Basic and
 * Digest, /h264 and /ts, sender clocks moved by +5 h, ±3 s and a 0.6 s sender latency through the clock-shift
 * proxy) and as a camera with a quirk (restarts under the connected client, parameter sets only in the SDP,
 * B-frames with a resolution change every 2 s), each row a session of one fleet started once for the file (nats-server with JetStream, PostgreSQL, auth,
 * ingest, inference, tracker, persistence, gateway; every service its built dist/main.js) and an SDK agent
 * subscribed to every row's session. The eight rows run at once, each analysed at 10 frames a second.
 *
 * Per row, counts that must add up exactly: every frame ingest published was taken by inference under one counted
 * outcome (analysed, skipped for its age, shed by fair share) unless ingest purged it from a full backlog first, and
 * none was skipped for its age; the agent received one frameAnalyzed per analysed frame and PostgreSQL stored one row
 * per analysed frame. Clocks: every result's age is measured on the host's clock (0 ≤ analysed − captureTime < the
 * deadline), and the camera's clock shows only in sourceTime, at the row's offset. A sender clock charged to the
 * deadline would break both for the shifted rows. Quirk rows also show, from what the proxy saw on the wire, that the
 * camera really did what the row is about while the session ran.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { CONSUMERS, EVENTS, STREAMS, WS_PATH, silentLogger, type SessionInfo, type StartSessionRequest } from '@sightline/contracts';
import { AnalysisClient, loginWithPassword, type AnalysisEvent } from '@sightline/client';
import {
  type GstRtspLiveCamera,
  type GstRtspMount,
  type GstRtspServer,
  makeTempDir,
  startGstRtspServer,
  waitUntil,
} from '@sightline/local-infra';
import { NatsClient } from '@sightline/messaging';
import { startClockShiftProxy, type ClockShiftProxy, type RtpObservations } from '@sightline/video/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFleet } from '../src/index.js';
import { assertServicesBuilt, consumerCaughtUp, counterValue, readSessionResults } from './e2e-support.js';

const RTSP_USER = 'viewer';
const RTSP_PASSWORD = `live:${randomBytes(6).toString('hex')}@"/`;
const ADMIN = { username: 'rows-admin', email: 'rows-admin@sightline.test', password: randomBytes(18).toString('base64url') };
const HOUR_MS = 3600 * 1000;
/**
 * Longer than any frame can wait (FRAMES holds at most 30 frames a session: 3 s at 10 fps, plus decoding), so no
 * frame is skipped for its age on however loaded a box; a camera clock charged instead of ours shows in sourceTime.
 */
const DEADLINE_MS = 20_000;
const MAX_FPS = 10;
/** frameAnalyzed results each row's session must deliver to the agent before the rows stop. */
const RESULTS_PER_ROW = 30;
/** Of those, results carrying the camera's clock (sourceTime). */
const CAMERA_CLOCK_RESULTS = 15;

/** The resizing camera's two sizes (16:9 like the plain cameras, and 1:1). */
const WIDE = { width: 320, height: 180 };
const SQUARE = { width: 240, height: 240 };

/** Cameras with a quirk (Digest, 320x180 at 30 fps like the plain ones), one server each. */
const QUIRK_CAMERAS = {
  // Pipeline torn down and rebuilt every 2 s under the connected client: a new SSRC, timestamp and sequence base.
  restart: { restartEverySeconds: 2 },
  // High profile, two B-frames: sent in decode order, RTP timestamps go back.
  // High profile with B-frames whose pipeline is rebuilt every 2 s at the next size (new SPS/PPS, same RTP stream):
  // a resolution change mid-stream on top of the B-frames.
  bframesResized: { bframes: 2, restartEverySeconds: 2, sizes: [WIDE, SQUARE] },
} satisfies Record<string, GstRtspLiveCamera>;

interface Row {
  name: string;
  auth: 'basic' | 'digest';
  mount: GstRtspMount;
  shiftMs: number;
  /** A camera with a quirk instead of the plain live camera of the row's auth. */
  camera?: keyof typeof QUIRK_CAMERAS;
  /** What the proxy must have seen on the wire by the end: the quirk the row is about, really exercised. */
  quirk?: (rtp: RtpObservations) => boolean;
  /** What the delivered results must show (in frameSeq order) by the end, beyond what every row shows. */
  results?: (received: FrameAnalyzedEvent[]) => boolean;
  /** Whether results must carry the camera's clock (a camera restarting every 2 s may send no sender report first). */
  cameraClock?: false;
}

const ROWS: Row[] = [
  { name: 'fleet-h264', auth: 'digest', mount: 'h264', shiftMs: 0 },
  { name: 'fleet-h264-5h', auth: 'digest', mount: 'h264', shiftMs: 5 * HOUR_MS },
  { name: 'fleet-ts-minus3s', auth: 'digest', mount: 'ts', shiftMs: -3000 },
  { name: 'fleet-ts-plus3s', auth: 'basic', mount: 'ts', shiftMs: 3000 },
  { name: 'fleet-h264-latency', auth: 'basic', mount: 'h264', shiftMs: -600 },
  {
    name: 'fleet-camera-restart',
    auth: 'digest',
    mount: 'h264',
    shiftMs: 0,
    camera: 'restart',
    cameraClock: false,
    // Three senders: two restarts under the connected client, and frames from the third.
    quirk: (rtp) => rtp.ssrcs.length >= 3,
  },
  {
    name: 'fleet-sdp-only',
    auth: 'digest',
    mount: 'h264-sdp',
    shiftMs: 0,
    // Keyframes went by, and never an SPS (7) or PPS (8) in the stream: every frame was decoded from the SDP's.
    quirk: (rtp) => rtp.h264NalTypes.has(5) && !rtp.h264NalTypes.has(7) && !rtp.h264NalTypes.has(8),
  },
  {
    name: 'fleet-b-frames-resized',
    auth: 'digest',
    mount: 'h264',
    shiftMs: 0,
    camera: 'bframesResized',
    // Timestamps going back on the wire (B-frames) and two different SPS (sizes).
    quirk: (rtp) => rtp.timestampReversals > 10 && rtp.spsVariants.size >= 2,
    // Both sizes analysed, each frame with its own size, and the first size again after the second.
    results: (received) => sizeChanges(received) >= 2,
  },
];

/** What the sender adds before its packets reach us plus a loaded box's late reads (as in live-camera.int.spec.ts). */
const SENDER_LAG_MS: Record<GstRtspMount, number> = { h264: 2000, 'h264-sdp': 2000, ts: 2800 };

type FrameAnalyzedEvent = AnalysisEvent & { event: 'frameAnalyzed' };

/** How often the analysed source size changes from one result to the next, in frame order. */
function sizeChanges(received: FrameAnalyzedEvent[]): number {
  const sizes = [...received].sort((a, b) => a.payload.frameSeq - b.payload.frameSeq).map((e) => e.payload.source.width);
  return sizes.filter((width, i) => i > 0 && width !== sizes[i - 1]).length;
}

interface RowOutcome {
  row: Row;
  final: SessionInfo;
  analyzed: number;
  skippedStale: number;
  shed: number;
  received: FrameAnalyzedEvent[];
  inStream: number;
  storedRows: number;
  rtp: RtpObservations;
}

let dataDir: string | undefined;
let keepDataForDiagnosis = true;
let servers: GstRtspServer[] = [];
let proxies: ClockShiftProxy[] = [];
let fleet: LocalFleet | undefined;
let nats: NatsClient | undefined;
let agent: AnalysisClient | undefined;
const outcomes: RowOutcome[] = [];

beforeAll(async () => {
  assertServicesBuilt();
  dataDir = await makeTempDir('fleet-rows');
  const cameras = { digest: { auth: 'digest', live: {} }, basic: { auth: 'basic', live: {} } } as const;
  const quirky = Object.entries(QUIRK_CAMERAS).map(([name, live]) => [name, { auth: 'digest', live }] as const);
  const started = await Promise.all(
    [...Object.entries(cameras), ...quirky].map(
      async ([name, { auth, live }]) =>
        [name, await startGstRtspServer({ live, auth, username: RTSP_USER, password: RTSP_PASSWORD })] as const,
    ),
  );
  servers = started.map(([, server]) => server);
  const serverOf = new Map(started);
  proxies = await Promise.all(ROWS.map((row) => startClockShiftProxy(serverOf.get(row.camera ?? row.auth)!.port, row.shiftMs)));
  fleet = await LocalFleet.start({
    dataDir,
    ports: 'free',
    ephemeral: true,
    env: {
      inference: { INFERENCE_FRAME_DEADLINE_MS: String(DEADLINE_MS) },
      auth: {
        AUTH_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
        AUTH_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        AUTH_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      },
    },
  });
  nats = await NatsClient.connect({ name: 'rows-test', logger: silentLogger, ...fleet.natsConnectOptions('provisioner') });
  const { accessToken } = await loginWithPassword({ authUrl: fleet.url('auth'), username: ADMIN.username, password: ADMIN.password });
  const authorization = `Bearer ${accessToken}`;

  const received: AnalysisEvent[] = [];
  agent = new AnalysisClient({
    url: `ws://127.0.0.1:${fleet.endpoints.ports.gateway}${WS_PATH}`,
    token: accessToken,
    sessions: ROWS.map((row) => row.name),
    policy: 'every',
    onMessage: (event) => received.push(event),
  });
  const subscribed = new Promise((resolve) => agent!.once('subscribed', resolve));
  agent.start();
  await subscribed;

  await Promise.all(
    ROWS.map(async (row, i) => {
      const request: StartSessionRequest = {
        sessionId: row.name,
        source: {
          type: 'rtsp',
          url: `rtsp://127.0.0.1:${proxies[i]!.port}/${row.mount}`,
          auth: row.auth,
          username: RTSP_USER,
          password: RTSP_PASSWORD,
          // Decoded at the camera's 30 fps, analysed at 10: five sessions' analysis fits the shared box and CI time.
          maxFps: MAX_FPS,
        },
      };
      const started = await fetch(`${fleet!.url('ingest')}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(request),
      });
      expect(started.status, await started.clone().text()).toBe(201);
    }),
  );
  const resultsOf = (name: string) =>
    received.filter((e): e is FrameAnalyzedEvent => e.event === EVENTS.frameAnalyzed && e.sessionId === name);
  // Frames carry the camera's clock once its first sender report arrived (GStreamer sends one every few seconds).
  const withCameraClock = (name: string) => resultsOf(name).filter((e) => e.payload.sourceTime !== undefined).length;
  await waitUntil(
    () =>
      ROWS.every(
        (row, i) =>
          resultsOf(row.name).length >= RESULTS_PER_ROW &&
          (row.cameraClock === false || withCameraClock(row.name) >= CAMERA_CLOCK_RESULTS) &&
          (row.quirk?.(proxies[i]!.rtp) ?? true) &&
          (row.results?.(resultsOf(row.name)) ?? true),
      ),
    `${RESULTS_PER_ROW} frameAnalyzed results of every row at the agent, ${CAMERA_CLOCK_RESULTS} with the camera's clock, every quirk shown`,
    90_000,
  );
  const finals = await Promise.all(
    ROWS.map(async (row) => {
      const stopped = await fetch(`${fleet!.url('ingest')}/sessions/${row.name}`, { method: 'DELETE', headers: { authorization } });
      expect(stopped.status, await stopped.clone().text()).toBe(200);
      return (await stopped.json()) as SessionInfo;
    }),
  );
  // Frames still queued at the stop are analysed after it: wait for inference and persistence to finish, then for
  // the agent to have every result RESULTS holds for the rows.
  await waitUntil(() => consumerCaughtUp(nats!, STREAMS.frames, CONSUMERS.inference), 'inference to drain FRAMES', 60_000);
  await waitUntil(() => consumerCaughtUp(nats!, STREAMS.results, CONSUMERS.persistence), 'persistence to store RESULTS', 30_000);
  const inStream = await Promise.all(
    ROWS.map(async (row) => (await readSessionResults(nats!, row.name)).filter((r) => r.envelope.event === EVENTS.frameAnalyzed).length),
  );
  await waitUntil(
    () => ROWS.every((row, i) => resultsOf(row.name).length >= inStream[i]!),
    'the agent to receive every frameAnalyzed',
    20_000,
  );
  await agent.close();

  const inference = fleet.url('inference');
  for (const [i, row] of ROWS.entries()) {
    const count = (outcome: string) => counterValue(inference, 'sightline_inference_session_frames_total', { session: row.name, outcome });
    const storedRows = fleet!.postgres.psql(
      `SELECT count(*) FROM analysis_results WHERE session_id = '${row.name}' AND event = '${EVENTS.frameAnalyzed}'`,
    );
    outcomes.push({
      row,
      final: finals[i]!,
      analyzed: await count('analyzed'),
      skippedStale: await count('skipped_stale'),
      shed: await count('shed_fair_share'),
      received: resultsOf(row.name),
      inStream: inStream[i]!,
      storedRows: Number(storedRows.trim()),
      rtp: proxies[i]!.rtp,
    });
  }
  console.info(
    'live-camera rows through the fleet:',
    JSON.stringify(
      outcomes.map((o) => ({
        row: o.row.name,
        published: o.final.stats.framesPublished,
        dropped: o.final.stats.framesDropped,
        droppedBeforeDecode: o.final.stats.framesDroppedBeforeDecode,
        purged: o.final.stats.framesPurged,
        analyzed: o.analyzed,
        skippedStale: o.skippedStale,
        shed: o.shed,
        agent: o.received.length,
        stored: o.storedRows,
        ssrcs: o.rtp.ssrcs.length,
      })),
    ),
  );
  keepDataForDiagnosis = false;
}, 240_000);

afterAll(async () => {
  await agent?.close();
  await nats?.drain();
  await fleet?.stop();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.stop()));
  if (!dataDir) return;
  if (keepDataForDiagnosis) console.info(`live-camera rows: kept the fleet's data and logs for diagnosis: ${dataDir}`);
  else await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('live-camera rows through the whole fleet (GStreamer camera → ingest → inference → persistence + gateway → agent)', () => {
  it.each(ROWS.map((row) => [row.name, row] as const))(
    '%s: every published frame is accounted for, analysed, delivered and stored',
    (name) => {
      const o = outcomes.find((x) => x.row.name === name)!;
      const { framesPublished, framesPurged = 0 } = o.final.stats;
      expect(framesPublished).toBeGreaterThan(0);
      // Inference took every published frame once, under one counted outcome, except those ingest purged from a full
      // FRAMES backlog before inference took them (back-pressure, counted apart as framesPurged).
      expect(o.analyzed + o.skippedStale + o.shed).toBe(framesPublished - framesPurged);
      // None too old on the host's clock.
      expect(o.skippedStale).toBe(0);
      expect(o.analyzed).toBeGreaterThanOrEqual(RESULTS_PER_ROW);
      // Each analysed frame: one result in RESULTS, one at the agent, one stored row.
      expect(o.inStream).toBe(o.analyzed);
      expect(new Set(o.received.map((e) => e.payload.frameSeq)).size).toBe(o.analyzed);
      expect(o.storedRows).toBe(o.analyzed);
    },
  );

  it.each(ROWS.map((row) => [row.name, row] as const))("%s: ages on the host's clock", (name) => {
    const o = outcomes.find((x) => x.row.name === name)!;
    for (const { timestamp, payload } of o.received) {
      const age = Date.parse(timestamp) - Date.parse(payload.captureTime);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(DEADLINE_MS);
      expect(payload.latency.totalMs).toBe(age);
    }
  });

  it.each(ROWS.filter((row) => row.cameraClock !== false).map((row) => [row.name, row] as const))(
    "%s: the camera's clock only in sourceTime, at the row's offset",
    (name, row) => {
      const o = outcomes.find((x) => x.row.name === name)!;
      const offsets = o.received
        .filter((e) => e.payload.sourceTime !== undefined)
        .map((e) => Date.parse(e.payload.sourceTime!) - Date.parse(e.payload.captureTime))
        .sort((a, b) => a - b);
      const median = offsets[offsets.length >> 1]!;
      expect(median - row.shiftMs).toBeGreaterThan(-SENDER_LAG_MS[row.mount]);
      expect(median - row.shiftMs).toBeLessThan(300);
    },
  );

  it.each(ROWS.filter((row) => row.quirk).map((row) => [row.name, row] as const))(
    '%s: the camera did what the row is about while the session ran',
    (name, row) => {
      expect(row.quirk!(outcomes.find((x) => x.row.name === name)!.rtp)).toBe(true);
    },
  );

  it("fleet-b-frames-resized: every result carries its own frame's size, and both sizes were analysed", () => {
    const o = outcomes.find((x) => x.row.name === 'fleet-b-frames-resized')!;
    for (const { payload } of o.received) expect([WIDE, SQUARE]).toContainEqual(payload.source);
    expect(sizeChanges(o.received)).toBeGreaterThanOrEqual(2);
  });
});
