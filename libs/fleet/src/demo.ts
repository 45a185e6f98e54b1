/**
 * The main job on one machine (`npm run up`): the whole fleet, a demo analysis session on a real clip (or the
 * user's own RTSP camera / file), and a demo agent that prints what it receives over /ws/analysis, plus the row
 * count of analysis_results. Ctrl-C (or --duration) stops everything cleanly.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AnalysisClient, passwordTokenSource, type AnalysisEvent } from '@sightline/client';
import {
  EVENTS,
  WS_PATH,
  assertSessionId,
  redactUrl,
  type EventPayloads,
  type FrameAnalyzedPayload,
  type SessionZones,
  type StartSessionRequest,
} from '@sightline/contracts';
import { makeAstronautClip } from '@sightline/local-infra';
import { LocalFleet } from './fleet.js';
import { describeSupervisorEvent } from './supervisor.js';
import { mediaDir } from './services.js';

export interface DemoOptions {
  dataDir: string;
  /** rtsp://… URL or a video file; default: the generated astronaut clip (1080p60, looped, paced in real time). */
  source?: string;
  rtspAuth?: 'none' | 'basic' | 'digest' | 'auto';
  sessionId?: string;
  /** Stop after this many seconds (default: run until Ctrl-C). */
  durationSeconds?: number;
  ports?: 'fixed' | 'free';
  print?: (line: string) => void;
}

interface AdminCredentials {
  username: string;
  email: string;
  password: string;
}

/** The first admin's password is generated once per data directory and kept there (0600), never hard-coded. */
function adminCredentials(dataDir: string): AdminCredentials {
  const file = join(dataDir, 'admin-credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as AdminCredentials;
  const credentials = { username: 'admin', email: 'admin@sightline.local', password: randomBytes(18).toString('base64url') };
  writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  return credentials;
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const admin = adminCredentials(dataDir);
  // Validated: it names a NATS subject and goes into the row-count query below.
  const sessionId = assertSessionId(options.sessionId ?? 'demo');

  // A file of the user's: ingest may read its directory only (the fleet's own media directory otherwise).
  const userFile = options.source && !/^rtsp:\/\//.test(options.source) ? resolve(options.source) : undefined;

  print(`Starting the fleet (data and logs under ${dataDir})`);
  const fleet = await LocalFleet.start({
    dataDir,
    ports: options.ports ?? 'fixed',
    env: {
      auth: {
        AUTH_BOOTSTRAP_ADMIN_USERNAME: admin.username,
        AUTH_BOOTSTRAP_ADMIN_EMAIL: admin.email,
        AUTH_BOOTSTRAP_ADMIN_PASSWORD: admin.password,
      },
      ...(userFile && { ingest: { INGEST_FILE_ROOT: dirname(userFile) } }),
      // Objects of a stopped session leave soon after its last frame, while the demo still prints.
      tracker: { TRACKER_IDLE_MS: String(TRACKER_IDLE_MS) },
    },
    onLine: (source, line) => {
      // Service logs go to <dataDir>/logs; the terminal shows only warnings and errors.
      if (/"level":"(warn|error)"/.test(line)) print(`  [${source}] ${line}`);
    },
    // One line per crash (exit status, what happens next, last output) and one when the process is back.
    onSupervisorEvent: (event) => print(`  [supervisor] ${describeSupervisorEvent(event)}`),
  }).catch((err: unknown) => {
    print(`Error: the fleet did not start: ${(err as Error).message}`);
    throw err;
  });

  let client: AnalysisClient | undefined;
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    print(`\nStopping (${reason})…`);
    await client?.close();
    await fleet.stop();
    print('All services stopped.');
  };

  try {
    const source = userFile ?? options.source ?? (await makeAstronautClip({ seconds: 12, cacheDir: mediaDir(dataDir) }));
    const getToken = passwordTokenSource({ authUrl: fleet.url('auth'), username: admin.username, password: admin.password });
    const gatewayUrl = `ws://127.0.0.1:${fleet.endpoints.ports.gateway}${WS_PATH}`;
    print('');
    print('Sightline is running:');
    print(`  web console          ${fleet.url('console')}/console/   (log in as ${admin.username})`);
    print(`  agents (WebSocket)   ${gatewayUrl}   (subprotocol "json", Authorization: Bearer <token>)`);
    print(`  auth (login, users)  ${fleet.url('auth')}        admin credentials in ${join(dataDir, 'admin-credentials.json')}`);
    print(`  sessions (ingest)    ${fleet.url('ingest')}/sessions`);
    print(`  results (query API)  ${fleet.url('persistence')}/sessions`);
    print(`  metrics              ${fleet.url('inference')}/metrics (every service has /metrics and /health)`);
    print(
      `  NATS ${fleet.endpoints.natsUrl}${fleet.endpoints.natsTlsCaFile ? ` (TLS, CA ${fleet.endpoints.natsTlsCaFile})` : ''}   PostgreSQL ${redactUrl(fleet.endpoints.databaseUrl)} (password in ${join(dataDir, 'postgres-password')})`,
    );
    print('');

    client = new AnalysisClient({ url: gatewayUrl, getToken, sessions: [sessionId], onMessage: printer(print) });
    client.start();

    if (!options.source) {
      // The built-in clip is 1920x1080 and the face sweeps left-right: a zone on the left third and a counting line.
      const zones = await fetch(`${fleet.url('persistence')}/sessions/${sessionId}/zones`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await getToken()}` },
        body: JSON.stringify(DEMO_ZONES),
      });
      if (!zones.ok) throw new Error(`configuring the demo zones failed: HTTP ${zones.status} ${await zones.text()}`);
      print(`Zone "left-third" (x < 640) and line "centre" (x = 960) configured for session "${sessionId}"`);
    }

    const request: StartSessionRequest = {
      sessionId,
      source: /^rtsp:\/\//.test(source)
        ? { type: 'rtsp', url: source, auth: options.rtspAuth ? { type: options.rtspAuth, username: '', password: '' } : undefined }
        : { type: 'file', url: source, loop: true, pacing: 'realtime' },
    };
    const response = await fetch(`${fleet.url('ingest')}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await getToken()}` },
      body: JSON.stringify(request),
    });
    if (!response.ok) throw new Error(`starting the demo session failed: HTTP ${response.status} ${await response.text()}`);
    print(`Session "${sessionId}" started on ${redactUrl(source)}`);
    print('The demo agent prints what it receives (one line per half second of frames); Ctrl-C stops.\n');

    const rowTimer = setInterval(() => {
      try {
        const rows = fleet.postgres.psql(`SELECT count(*) FROM analysis_results WHERE session_id = '${sessionId}'`).trim();
        print(`  analysis_results: ${rows} rows for session ${sessionId}`);
      } catch {
        // table not migrated yet
      }
    }, 5000);

    const crashLoop = await new Promise<{ name: string; reason: string } | undefined>((resolveWait) => {
      process.once('SIGINT', () => resolveWait(undefined));
      process.once('SIGTERM', () => resolveWait(undefined));
      if (options.durationSeconds) setTimeout(() => resolveWait(undefined), options.durationSeconds * 1000).unref();
      void fleet.supervisor.gaveUp.then(resolveWait);
    });
    clearInterval(rowTimer);
    if (crashLoop) {
      throw new Error(
        `${crashLoop.name} is crash-looping (${crashLoop.reason}); see the logs in ${join(dataDir, 'logs')} ` +
          `and ${join(dataDir, 'logs', 'supervisor.log')}`,
      );
    }
    await fetch(`${fleet.url('ingest')}/sessions/${sessionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await getToken()}` },
    }).catch(() => undefined);
    // Let the last results reach PostgreSQL, and the tracker end the session's objects, before the fleet stops.
    await new Promise((r) => setTimeout(r, TRACKER_IDLE_MS + 1500));
    await stop('requested');
  } catch (err) {
    print(`Error: ${(err as Error).message}`);
    await stop('error');
    throw err;
  }
}

const TRACKER_IDLE_MS = 2000;

const DEMO_ZONES: SessionZones = {
  zones: [
    {
      id: 'left-third',
      polygon: [
        { x: 0, y: 0 },
        { x: 640, y: 0 },
        { x: 640, y: 1080 },
        { x: 0, y: 1080 },
      ],
    },
  ],
  lines: [{ id: 'centre', a: { x: 960, y: 0 }, b: { x: 960, y: 1080 } }],
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One readable line per object-level event. */
function describeObjectEvent(event: AnalysisEvent): string | undefined {
  const p = event.payload as unknown;
  switch (event.event) {
    case EVENTS.objectAppeared: {
      const { trackId, label, box, score } = p as EventPayloads['objectAppeared'];
      return `object #${trackId} (${label}) appeared at (${Math.round(box.x)},${Math.round(box.y)} ${Math.round(box.w)}x${Math.round(box.h)}) score ${score.toFixed(2)}`;
    }
    case EVENTS.objectLeft: {
      const { trackId, label, dwellMs, frames, reason } = p as EventPayloads['objectLeft'];
      return `object #${trackId} (${label}) left after ${seconds(dwellMs)} (${frames} frames, ${reason})`;
    }
    case EVENTS.zoneEntered: {
      const { trackId, zoneId } = p as EventPayloads['zoneEntered'];
      return `object #${trackId} entered zone "${zoneId}"`;
    }
    case EVENTS.zoneLeft: {
      const { trackId, zoneId, dwellMs } = p as EventPayloads['zoneLeft'];
      return `object #${trackId} left zone "${zoneId}" after ${seconds(dwellMs)}`;
    }
    case EVENTS.lineCrossed: {
      const { trackId, lineId, direction } = p as EventPayloads['lineCrossed'];
      return `object #${trackId} crossed line "${lineId}" ${direction}`;
    }
    default:
      return undefined;
  }
}

/**
 * Prints lifecycle and object-level events always and frameAnalyzed at most twice a second, as one readable line;
 * frameTracked (per-frame track ids) only as the track ids on those frame lines.
 */
function printer(print: (line: string) => void): (event: AnalysisEvent) => void {
  let lastFramePrint = 0;
  let trackIds = '';
  return (event) => {
    if (event.event === EVENTS.frameTracked) {
      const ids = (event.payload as EventPayloads['frameTracked']).tracks.map((t) => `#${t.trackId}`);
      trackIds = ids.length ? ` tracks ${ids.join(',')}` : '';
      return;
    }
    const objectLine = describeObjectEvent(event);
    if (objectLine) {
      print(`[${event.timestamp}] ${event.sessionId} ${event.event}: ${objectLine}`);
      return;
    }
    if (event.event !== EVENTS.frameAnalyzed) {
      print(`[${event.timestamp}] ${event.sessionId} ${event.event} ${JSON.stringify(event.payload)}`);
      return;
    }
    const now = Date.now();
    if (now - lastFramePrint < 500) return;
    lastFramePrint = now;
    const p = event.payload as FrameAnalyzedPayload;
    const faces = p.detections
      .map(
        (d) =>
          `${d.label} ${d.score.toFixed(2)} @ (${Math.round(d.box.x)},${Math.round(d.box.y)} ${Math.round(d.box.w)}x${Math.round(d.box.h)})`,
      )
      .join('; ');
    print(
      `[${event.timestamp}] seq ${event.seq} frame ${p.frameSeq} ${p.detections.length} face(s) ${faces || '-'}${trackIds}  ` +
        `latency ${p.latency.totalMs.toFixed(0)} ms (queue ${p.latency.queueMs.toFixed(1)}, inference ${p.latency.inferenceMs.toFixed(1)})  ${p.provider}`,
    );
  };
}
