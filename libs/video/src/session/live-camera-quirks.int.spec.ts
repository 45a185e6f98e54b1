/**
 * What real cameras send, served by GStreamer's RTSP server acting as a live camera (libs/local-infra's
 * rtsp-server.py --live): a camera that restarts under a connected client, parameter sets only in the SDP, B-frames,
 * and a resolution change mid-stream. The four rows run at once (a server each, 320x180-ish at 30 fps: cheap enough for
 * the shared box). A pass-through proxy records what each server really sent (SSRCs, NAL unit types, SPS variants,
 * timestamps going back), so every row also proves that it exercised what it claims to.
 *
 * For each row: seq from 0 without gaps but the counted drops, pts strictly increasing, frames keep coming after the
 * quirk, no fatal error.
 */
import type { FrameMeta } from '@sightline/contracts';
import { startGstRtspServer, type GstRtspLiveCamera, type GstRtspMount, type GstRtspServer } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockShiftProxy, type ClockShiftProxy } from '../../test-support/clock-shift-proxy.js';
import {
  EventCollector,
  FrameCollector,
  expectOneSequence,
  recordingLogger,
  startIngestHarness,
  until,
  type IngestHarness,
} from '../../test-support/ingest-harness.js';

const FRAME_INTERVAL_S = 1 / 30;
const SQUARE = { width: 240, height: 240 };
const WIDE = { width: 320, height: 180 };

interface Row {
  name: string;
  camera: GstRtspLiveCamera;
  mount: GstRtspMount;
  /** Ready to stop: the row has shown what it is about. */
  done(metas: FrameMeta[], proxy: ClockShiftProxy): boolean;
}

const ROWS: Row[] = [
  {
    name: 'camera-restart',
    camera: { restartEverySeconds: 2 },
    mount: 'h264',
    // Three senders: two restarts under the connected client, and frames from the third.
    done: (metas, proxy) => proxy.rtp.ssrcs.length >= 3 && metas.length >= 150,
  },
  { name: 'sdp-only', camera: {}, mount: 'h264-sdp', done: (metas) => metas.length >= 90 },
  { name: 'b-frames', camera: { bframes: 2 }, mount: 'h264', done: (metas) => metas.length >= 90 },
  {
    name: 'resolution-change',
    camera: { restartEverySeconds: 2, sizes: [WIDE, SQUARE] },
    mount: 'h264',
    // Both sizes seen, and the first one again after them.
    done: (metas) => {
      const changes = metas.filter((m, i) => i > 0 && m.source.width !== metas[i - 1]!.source.width).length;
      return changes >= 2 && metas.length >= 150;
    },
  },
];

const logger = recordingLogger();
let harness: IngestHarness;
const servers = new Map<string, GstRtspServer>();
beforeAll(async () => {
  harness = await startIngestHarness({ logger });
  await Promise.all(ROWS.map(async (row) => servers.set(row.name, await startGstRtspServer({ live: row.camera }))));
  await new Promise((r) => setTimeout(r, 1000)); // the cameras run before anyone connects: clients join mid-GOP
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  await harness?.close();
});

describe('GStreamer RTSP server as a camera that does what real cameras do', () => {
  it('restart under a connected client, parameter sets only in the SDP, B-frames, resolution change: analysed in order', async () => {
    const proxies = await Promise.all(ROWS.map((row) => startClockShiftProxy(servers.get(row.name)!.port, 0)));
    const collectors = await Promise.all(
      ROWS.map(async (row) => ({
        frames: await FrameCollector.start(harness.client, row.name),
        events: await EventCollector.start(harness.client, row.name),
      })),
    );
    try {
      ROWS.forEach((row, i) =>
        harness.manager.start({ sessionId: row.name, source: { type: 'rtsp', url: `rtsp://127.0.0.1:${proxies[i]!.port}/${row.mount}` } }),
      );
      await until(
        () =>
          ROWS.every((row, i) =>
            row.done(
              collectors[i]!.frames.frames.map((f) => f.meta),
              proxies[i]!,
            ),
          ),
        'every row to show its quirk',
        60_000,
      );
      const finals = await Promise.all(ROWS.map((row) => harness.manager.stop(row.name)));
      await Promise.all(collectors.map((c) => c.events.waitFor('sessionStopped')));
      const byRow = new Map(
        ROWS.map((row, i) => [
          row.name,
          {
            final: finals[i]!,
            metas: collectors[i]!.frames.frames.map((f) => f.meta),
            events: collectors[i]!.events,
            rtp: proxies[i]!.rtp,
          },
        ]),
      );

      for (const [name, { final, metas, events }] of byRow) {
        expectOneSequence(
          metas.map((m) => m.seq),
          final.stats.framesDropped,
        );
        expect(
          metas.slice(1).every((m, i) => m.pts > metas[i]!.pts),
          `${name}: pts increasing`,
        ).toBe(true);
        expect(
          events.of('sourceError').filter((e) => e.payload.fatal),
          name,
        ).toEqual([]);
        expect(final.stats.reconnects, `${name}: never reconnected`).toBe(0);
      }

      // Restart: new SSRCs with new timestamp/sequence bases under the same connection; pts bridges each break by
      // about the time that passed (no jump of the sender's random offsets, no gap of more than a second), and the
      // break is logged once per run and counted.
      const restart = byRow.get('camera-restart')!;
      expect(restart.rtp.ssrcs.length).toBeGreaterThanOrEqual(3);
      const steps = restart.metas.slice(1).map((m, i) => m.pts - restart.metas[i]!.pts);
      expect(Math.max(...steps)).toBeLessThan(1);
      const restartLogs = logger.lines.filter((l) => l.fields['sessionId'] === 'camera-restart');
      expect(restartLogs.filter((l) => l.fields['code'] === 'RTSP_DISCONTINUITY')).toHaveLength(1);
      const runEnded = restartLogs.find((l) => l.message === 'rtsp run ended');
      expect(runEnded?.fields['discontinuities']).toBeGreaterThanOrEqual(2);

      // SDP-only: the server never sent SPS (7) or PPS (8) in the stream, and every frame was decoded from the SDP's.
      const sdpOnly = byRow.get('sdp-only')!;
      expect(sdpOnly.rtp.h264NalTypes.has(5)).toBe(true);
      expect(sdpOnly.rtp.h264NalTypes.has(7) || sdpOnly.rtp.h264NalTypes.has(8)).toBe(false);

      // B-frames: RTP timestamps went back (sent in decode order), frames come out in presentation order one frame
      // interval apart (RTP timestamps at 90 kHz; the feed is stamped on the server's clock, so allow a few ms).
      const bframes = byRow.get('b-frames')!;
      expect(bframes.rtp.timestampReversals).toBeGreaterThan(10);
      const intervals = bframes.metas
        .slice(1)
        .map((m, i) => m.pts - bframes.metas[i]!.pts)
        .sort((a, b) => a - b);
      expect(intervals[intervals.length >> 1]).toBeCloseTo(FRAME_INTERVAL_S, 2);

      // Resolution change: the letterbox follows each new SPS (16:9 pads top and bottom, 1:1 fills the frame).
      const resized = byRow.get('resolution-change')!;
      expect(resized.rtp.spsVariants.size).toBeGreaterThanOrEqual(2);
      for (const meta of resized.metas) {
        if (meta.source.width === WIDE.width) {
          expect(meta.source).toEqual(WIDE);
          expect(meta.letterbox).toEqual({ scale: 0.8, padX: 0, padY: 56 });
        } else {
          expect(meta.source).toEqual(SQUARE);
          expect(meta.letterbox.padX).toBe(0);
          expect(meta.letterbox.padY).toBe(0);
        }
      }
    } finally {
      await Promise.all(collectors.flatMap((c) => [c.frames.stop(), c.events.stop()]));
      await Promise.all(proxies.map((p) => p.close()));
    }
  });
});
