/** The GStreamer RTSP test server, checked with a third-party client (FFmpeg), independent of libs/rtsp. */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGstRtspServer, type GstRtspServer } from './gst-rtsp-server.js';
import { ffmpegPath, makeTestClip } from './media.js';

const credentials = { username: 'viewer', password: 'se:cret@1' };

function ffmpegRead(url: string, seconds: number): Promise<{ code: number; stderr: string }> {
  return ffmpegPath().then(
    (binary) =>
      new Promise((resolve) => {
        const args = ['-hide_banner', '-rtsp_transport', 'tcp', '-i', url, '-t', String(seconds), '-f', 'null', '-'];
        execFile(binary, args, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
      }),
  );
}

describe.each(['basic', 'digest'] as const)('GStreamer RTSP server with %s auth (FFmpeg as client)', (auth) => {
  let server: GstRtspServer;
  beforeAll(async () => {
    server = await startGstRtspServer({ file: await makeTestClip({ seconds: 2 }), auth, ...credentials });
  });
  afterAll(() => server?.stop());

  // Real-time pacing is measured with our own client in libs/rtsp (FFmpeg's MP2T probing adds seconds here).
  it.each(['h264', 'ts'] as const)('serves /%s at 1080p60, looping past the end of the 2 s file', async (mount) => {
    const { code, stderr } = await ffmpegRead(server.url(mount, credentials), 3);
    expect(code).toBe(0);
    expect(stderr).toMatch(/Video: h264.*1920x1080/);
    const frames = Number([...stderr.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1]); // the last progress report
    expect(frames).toBeGreaterThanOrEqual(175);
  });

  it('refuses a wrong password', async () => {
    const { code, stderr } = await ffmpegRead(server.url('h264', { ...credentials, password: 'wrong' }), 1);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/401 Unauthorized/);
  });
});

it('restarts on the same port after stop() and kill()', async () => {
  const server = await startGstRtspServer({ file: await makeTestClip({ seconds: 2 }) });
  try {
    await server.stop();
    expect(server.running).toBe(false);
    await server.start();
    await server.kill();
    await server.start();
    expect((await ffmpegRead(server.url('h264'), 0.5)).code).toBe(0);
  } finally {
    await server.stop();
  }
});
