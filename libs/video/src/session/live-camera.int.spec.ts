/**
 * Conformance against GStreamer's RTSP server acting as a live camera (an encoder running before anyone connects,
 * clients joining mid-stream): both mounts, Basic and Digest, sender latency, and sender-report clocks moved by ±3 s
 * and +5 h (a proxy rewrites the RTCP sender reports). Several sessions at once on the shared box.
 *
 * What each row proves: frames are timed on arrival here (captureTime never moves with the sender's clock), the
 * sender's clock is kept as sourceTime at the offset it really has, one SOURCE_CLOCK_OFFSET warning names it, and
 * pts/seq stay one gap-free, increasing sequence for a client that joined mid-GOP.
 */
import { SESSION_WARNING_CODES, type FrameMeta } from '@sightline/contracts';
import { startGstRtspServer, type GstRtspServer } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockShiftProxy, type ClockShiftProxy } from '../../test-support/clock-shift-proxy.js';
import {
  EventCollector,
  FrameCollector,
  expectOneSequence,
  startIngestHarness,
  until,
  type IngestHarness,
} from '../../test-support/ingest-harness.js';

const USERNAME = 'viewer';
const PASSWORD = 'pa:ss@w/rd "quoted"';
const HOUR_MS = 3600 * 1000;
/** Frames with the sender's clock each session must publish (30 fps: a few seconds). */
const TIMED_FRAMES = 45;

interface Row {
  name: string;
  mount: 'h264' | 'ts';
  shiftMs: number;
}

let harness: IngestHarness;
beforeAll(async () => {
  harness = await startIngestHarness({ settings: { stallTimeoutMs: 5000 } });
});
afterAll(() => harness?.close());

async function runRows(server: GstRtspServer, auth: 'basic' | 'digest', rows: Row[]) {
  const proxies: ClockShiftProxy[] = await Promise.all(rows.map((row) => startClockShiftProxy(server.port, row.shiftMs)));
  const collectors = await Promise.all(
    rows.map(async (row) => ({
      frames: await FrameCollector.start(harness.client, row.name),
      events: await EventCollector.start(harness.client, row.name),
    })),
  );
  try {
    rows.forEach((row, i) =>
      harness.manager.start({
        sessionId: row.name,
        source: {
          type: 'rtsp',
          url: `rtsp://127.0.0.1:${proxies[i]!.port}/${row.mount}`,
          auth: { type: auth, username: USERNAME, password: PASSWORD },
        },
      }),
    );
    // Overload share: every session, not just the first, gets its frames through.
    await until(
      () => collectors.every((c) => c.frames.frames.filter((f) => f.meta.sourceTime !== undefined).length >= TIMED_FRAMES),
      `${TIMED_FRAMES} frames with a sender clock in every session`,
      45_000,
    );
    const finals = await Promise.all(rows.map((row) => harness.manager.stop(row.name)));
    await Promise.all(collectors.flatMap((c) => [c.events.waitFor('sessionStopped')]));
    return rows.map((row, i) => ({
      row,
      final: finals[i]!,
      metas: collectors[i]!.frames.frames.map((f) => f.meta),
      events: collectors[i]!.events,
      proxy: proxies[i]!,
    }));
  } finally {
    await Promise.all(collectors.flatMap((c) => [c.frames.stop(), c.events.stop()]));
    await Promise.all(proxies.map((p) => p.close()));
  }
}

/**
 * What the sender adds before its packets reach us, plus how late a loaded box reads them: H.264 is sent as encoded
 * (measured 0-10 ms), MPEG-TS waits in the sender's muxer up to ~1 s; both below the ±3 s shifts the rows must tell.
 */
const H264_SENDER_LAG_MS: [number, number] = [0, 2000];
const TS_SENDER_LAG_MS: [number, number] = [0, 2800];

function expectTimedOnArrival(name: string, metas: FrameMeta[], shiftMs: number, senderLagMs: [number, number]): void {
  // Our clock: every frame is published after it arrived (a sender clock ahead would break this), and the typical
  // frame is younger than a sender clock 3 s behind would make it (1.2-1.4 s seen with three 1080p sessions on a
  // 2-core box at load 30: that is our decoding, which the catch-up gate bounds, not a clock).
  for (const meta of metas) expect(meta.publishedAt, name).toBeGreaterThanOrEqual(meta.captureTime);
  const ages = metas.map((m) => m.publishedAt - m.captureTime).sort((a, b) => a - b);
  expect(ages[ages.length >> 1], name).toBeLessThan(2500);
  // The sender's clock: where the reports put it, i.e. the shift plus what the sender itself adds (mux delay).
  // Steady state (the last third): at start-up a loaded box may read the socket late while FFmpeg starts.
  const timed = metas.filter((m) => m.sourceTime !== undefined);
  const offsets = timed.slice(-Math.ceil(timed.length / 3)).map((m) => m.sourceTime! - m.captureTime);
  const median = offsets.sort((a, b) => a - b)[offsets.length >> 1]!;
  // The upper bound is tight (nothing makes the sender's stamp later than our arrival); the lower bound is loose,
  // because a loaded box reads the socket late (seen: 0.7 s behind at a load of 25). Both still catch a shift lost
  // or applied twice: with ±3 s shifts, a lost shift lands ≥ 2.7 s above or ≥ 3 s below.
  expect(median - shiftMs, name).toBeGreaterThan(-senderLagMs[1]);
  expect(median - shiftMs, name).toBeLessThan(-senderLagMs[0] + 300);
  // Joined mid-stream: one increasing sequence from 0, increasing pts.
  expect(
    metas.slice(1).every((m, i) => m.pts > metas[i]!.pts),
    name,
  ).toBe(true);
}

describe('GStreamer RTSP server as a live camera', () => {
  let digest: GstRtspServer;
  let basic: GstRtspServer;
  beforeAll(async () => {
    [digest, basic] = await Promise.all([
      startGstRtspServer({ live: {}, auth: 'digest', username: USERNAME, password: PASSWORD }),
      startGstRtspServer({ live: {}, auth: 'basic', username: USERNAME, password: PASSWORD }),
    ]);
    await new Promise((r) => setTimeout(r, 1000)); // the camera runs before anyone connects: clients join mid-GOP
  });
  afterAll(async () => {
    await Promise.all([digest?.stop(), basic?.stop()]);
  });

  it('Digest, three sessions at once: /h264 as sent, /h264 with the sender clock +5 h, /ts with the sender clock -3 s', async () => {
    const results = await runRows(digest, 'digest', [
      { name: 'live-h264', mount: 'h264', shiftMs: 0 },
      { name: 'live-h264-5h', mount: 'h264', shiftMs: 5 * HOUR_MS },
      { name: 'live-ts-minus3s', mount: 'ts', shiftMs: -3000 },
    ]);
    for (const { row, final, metas, events, proxy } of results) {
      expect(proxy.shiftedReports, row.name).toBeGreaterThan(0);
      expectOneSequence(
        metas.map((m) => m.seq),
        final.stats.framesDropped,
      );
      // H.264: the sender's reports match its sending; MPEG-TS: its muxer stamps packets up to ~1 s before sending.
      expectTimedOnArrival(row.name, metas, row.shiftMs, row.mount === 'h264' ? H264_SENDER_LAG_MS : TS_SENDER_LAG_MS);
      const clockWarnings = events.of('sourceError').filter((e) => e.payload.code === SESSION_WARNING_CODES.sourceClockOffset);
      // A shifted clock is reported once. The unshifted row is not asserted silent here: three 1080p live sessions
      // overload the 2-core CI box, and our own socket reads can then trail the sender by over 1 s for a whole
      // window (seen in 1 of 3 CI runs); the two-session test below asserts silence for a sender within 1 s.
      if (Math.abs(row.shiftMs) > 1000) expect(clockWarnings.length, row.name).toBe(1);
      else expect(clockWarnings.length, row.name).toBeLessThanOrEqual(1);
      expect(
        events.of('sourceError').every((e) => !e.payload.fatal),
        row.name,
      ).toBe(true);
    }
  });

  it('Basic, two sessions: /ts with the sender clock +3 s, /h264 from a sender 0.6 s behind (its latency, or its clock)', async () => {
    const results = await runRows(basic, 'basic', [
      { name: 'live-ts-plus3s', mount: 'ts', shiftMs: 3000 },
      { name: 'live-h264-latency', mount: 'h264', shiftMs: -600 },
    ]);
    for (const { row, final, metas, events } of results) {
      expectOneSequence(
        metas.map((m) => m.seq),
        final.stats.framesDropped,
      );
      expectTimedOnArrival(row.name, metas, row.shiftMs, row.mount === 'h264' ? H264_SENDER_LAG_MS : TS_SENDER_LAG_MS);
      // 0.6 s of sender latency is reported (sourceClockOffsetMs) but below the warning threshold.
      const clockWarnings = events.of('sourceError').filter((e) => e.payload.code === SESSION_WARNING_CODES.sourceClockOffset);
      expect(clockWarnings.length, row.name).toBe(row.mount === 'ts' ? 1 : 0);
    }
  });
});
