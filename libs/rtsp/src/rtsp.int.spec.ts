/**
 * Our RTSP client against GStreamer's RTSP server (real peer): both payloads (RTP H.264, RTP MP2T) x both auth
 * schemes, decoded by the npm FFmpeg; wrong password; server crash mid-stream.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath, makeTestClip, startGstRtspServer, type GstRtspServer } from '@sightline/local-infra';
import { openRtspStream, RtspErrorCode, type RtspSample } from './index.js';

const USERNAME = 'operator';
const PASSWORD = 'pa:ss@w/rd "quoted"';
const STREAM_SECONDS = 3;
const THUMB = { width: 160, height: 90 };

let clip: string;
beforeAll(async () => {
  clip = await makeTestClip({ seconds: 2 }); // shorter than a test run, so the server's loop is crossed too
});

/** FFmpeg decoding what we pipe into it, scaled to a small grey thumbnail so frames can be counted exactly. */
async function startDecoder(format: 'h264' | 'mpegts') {
  const ffmpeg = spawn(await ffmpegPath(), [
    ...['-hide_banner', '-loglevel', 'info', '-f', format, '-i', 'pipe:0'],
    ...['-vsync', '0', '-vf', `scale=${THUMB.width}:${THUMB.height}`, '-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1'],
  ]);
  let outputBytes = 0;
  let stderr = '';
  ffmpeg.stdout.on('data', (chunk: Buffer) => (outputBytes += chunk.length));
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => ffmpeg.once('close', resolve));
  return {
    write: (data: Buffer) => ffmpeg.stdin.write(data),
    /** Ends the input; resolves once FFmpeg has decoded everything. */
    async finish() {
      const endedAt = Date.now();
      ffmpeg.stdin.end();
      const code = await exited;
      const size = /Stream #0:0.*Video: h264.* (\d{2,5})x(\d{2,5})/.exec(stderr);
      return {
        code,
        frames: outputBytes / (THUMB.width * THUMB.height),
        sourceWidth: Number(size?.[1]),
        sourceHeight: Number(size?.[2]),
        /** How far FFmpeg's decoding lagged behind the stream (logged: it depends on the machine's load). */
        drainMs: Date.now() - endedAt,
        stderr,
      };
    },
  };
}

describe.each(['basic', 'digest'] as const)('GStreamer RTSP server with %s auth', (auth) => {
  let server: GstRtspServer;
  beforeAll(async () => {
    // A 2 s session timeout makes the client send keep-alives (every 1 s) during each test; GStreamer must accept them.
    server = await startGstRtspServer({ file: clip, auth, username: USERNAME, password: PASSWORD, sessionTimeoutSeconds: 2 });
  });
  afterAll(() => server?.stop());

  it.each([
    ['h264', 'h264'],
    ['ts', 'mpegts'],
  ] as const)('streams /%s: 1080p60 in real time, decodable by FFmpeg', async (mount, ffmpegFormat) => {
    const stream = await openRtspStream({
      url: server.url(mount),
      auth: { type: auth, username: USERNAME, password: PASSWORD },
    });
    expect(stream.media.codec).toBe(mount === 'h264' ? 'h264' : 'mp2t');
    const decoder = await startDecoder(ffmpegFormat);
    const samples: RtspSample[] = [];
    const cpuAtStart = process.cpuUsage();
    let firstArrival: number | undefined;
    for await (const sample of stream) {
      firstArrival ??= sample.arrivalMs;
      samples.push(sample);
      decoder.write(sample.data);
      // At least STREAM_SECONDS, and until a sample is timed by an RTCP sender report (GStreamer's first SR comes
      // after ~1-5 s; later on a loaded machine).
      const elapsed = Date.now() - firstArrival;
      if (elapsed >= STREAM_SECONDS * 1000 && (sample.wallClockMs !== undefined || elapsed > 15_000)) break; // → TEARDOWN
    }
    const wallSeconds = (samples.at(-1)!.arrivalMs - firstArrival!) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    const decoded = await decoder.finish();

    expect(decoded.code).toBe(0);
    expect([decoded.sourceWidth, decoded.sourceHeight]).toEqual([1920, 1080]);
    // Real time, asserted on what the stream carries rather than on the wall clock of a loaded box: the media time
    // delivered keeps up with the wall window (half of it at least: a stalled stream fails this), and FFmpeg decodes
    // 60 frames per second of media (RTP presentation times at 90 kHz, across the server's loop of the 2 s clip).
    const ptsSeconds = (samples.at(-1)!.pts - samples[0]!.pts) / 90_000;
    expect(ptsSeconds).toBeGreaterThan(wallSeconds * 0.5);
    const fps = decoded.frames / wallSeconds;
    // MP2T: RTP times are the muxer's packet times, a few frames apart from the pictures at either end.
    expect(Math.abs(decoded.frames - (ptsSeconds * 60 + 1))).toBeLessThanOrEqual(mount === 'h264' ? 0.01 : 30);
    expect(stream.stats.lostPackets).toBe(0);
    expect(stream.stats.malformedPackets).toBe(0);
    if (mount === 'h264') {
      expect(samples[0]).toMatchObject({ codec: 'h264', keyframe: true });
      expect(decoded.frames).toBe(samples.length);
      // One access unit every 1/60 s (1500 ticks at 90 kHz, ±1 from ns rounding), seamlessly across the loop point.
      const steps = samples.slice(1).map((s, i) => s.pts - samples[i]!.pts);
      expect(steps.every((step) => Math.abs(step - 1500) <= 1)).toBe(true);
    }
    // GStreamer sends an RTCP sender report within the first seconds: capture time is then on its wall clock.
    const timed = samples.filter((s) => s.wallClockMs !== undefined);
    expect(timed.length).toBeGreaterThan(0);
    // Same host clock: a sample arrives after the server timed it, and not seconds later (generous for a loaded box).
    for (const s of timed) {
      expect(s.arrivalMs - s.wallClockMs!).toBeGreaterThan(-50);
      expect(s.arrivalMs - s.wallClockMs!).toBeLessThan(2000);
    }
    console.info(
      `${auth} /${mount}: ${samples.length} samples, ${decoded.frames} frames decoded in ${wallSeconds.toFixed(2)} s ` +
        `(${fps.toFixed(1)} fps), FFmpeg drained in ${decoded.drainMs} ms, ${stream.stats.rtpPackets} RTP packets, ` +
        `${(stream.stats.bytesReceived / wallSeconds / 1e6).toFixed(2)} MB/s, ${stream.stats.rtcpSenderReports} SR, ` +
        `client CPU ${((cpu.user + cpu.system) / 1e4 / wallSeconds).toFixed(1)} % of a core`,
    );
  });

  it('answers a wrong password with RTSP_UNAUTHORIZED at once, without leaking it', async () => {
    const startedAt = Date.now();
    const wrong = 'not-the-password';
    const error = await openRtspStream({
      url: server.url('h264', { username: USERNAME, password: wrong }),
      auth: { type: auth },
    }).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: RtspErrorCode.unauthorized, context: { status: 401, port: server.port } });
    // At once = on the first 401, without a retry loop (a bound for a loaded box, far below any retry schedule).
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(JSON.stringify(error) + String(error)).not.toContain(wrong);
  });

  it('auto auth with credentials in the URL answers the server challenge', async () => {
    const stream = await openRtspStream({ url: server.url('h264', { username: USERNAME, password: PASSWORD }) });
    const first = await stream[Symbol.asyncIterator]().next();
    expect(first.value).toMatchObject({ codec: 'h264', keyframe: true });
    await stream.close();
  });
});

describe('server lifecycle', () => {
  it('reports RTSP_STREAM_ENDED when the server dies mid-stream, and streams again after its restart', async () => {
    const server = await startGstRtspServer({ file: clip, auth: 'digest', username: USERNAME, password: PASSWORD });
    const options = { url: server.url('h264'), auth: { type: 'digest' as const, username: USERNAME, password: PASSWORD } };
    try {
      const stream = await openRtspStream(options);
      let received = 0;
      let killedAt = 0;
      let killed: Promise<void> | undefined;
      const outcome = await (async () => {
        for await (const _ of stream) {
          if (++received === 60) {
            killedAt = Date.now();
            killed = server.kill();
          }
        }
        return 'ended without error';
      })().catch((err: unknown) => err);
      expect(outcome).toMatchObject({ code: RtspErrorCode.streamEnded });
      expect(Date.now() - killedAt).toBeLessThan(10_000); // noticed from the closed connection, not a timeout
      await killed;

      await expect(openRtspStream(options)).rejects.toMatchObject({ code: RtspErrorCode.connectFailed });
      await server.start();
      const again = await openRtspStream(options);
      expect((await again[Symbol.asyncIterator]().next()).value).toMatchObject({ keyframe: true });
      await again.close();
    } finally {
      await server.stop();
    }
  });
});
