/** Generated test media, checked with FFmpeg itself: format of the clips, photo placement, corrupt file. */
import { execFile } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { astronautPositionAt, ffmpegPath, makeAstronautClip, makeCorruptMp4, makeTestClip } from './media.js';
import { makeTempDir } from './ports.js';

function ffmpeg(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return ffmpegPath().then(
    (binary) =>
      new Promise((resolve) => {
        execFile(binary, ['-hide_banner', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr: stderr.toString() }),
        );
      }),
  );
}

let dir: string;
let cacheDir: string;
beforeAll(async () => {
  dir = await makeTempDir('media');
  cacheDir = join(dir, 'cache');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeTestClip', () => {
  it('encodes H.264 Main 1080p60 + AAC with a keyframe every second, and reuses the cached file', async () => {
    const path = await makeTestClip({ seconds: 2, cacheDir });
    const info = (await ffmpeg(['-i', path])).stderr;
    expect(info).toMatch(/Video: h264 \(Main\).*yuv420p.*1920x1080.*60 fps/);
    expect(info).toMatch(/Audio: aac/);
    const keyframes = await ffmpeg(['-skip_frame', 'nokey', '-i', path, '-vsync', '0', '-f', 'null', '-']);
    expect(keyframes.stderr).toMatch(/frame=\s*2\b/);

    const modified = statSync(path).mtimeMs;
    expect(await makeTestClip({ seconds: 2, cacheDir })).toBe(path);
    expect(statSync(path).mtimeMs).toBe(modified);
    const copy = await makeTestClip({ seconds: 2, cacheDir, path: join(dir, 'copy.mp4') });
    expect(statSync(copy).size).toBe(statSync(path).size);
  });
});

describe('makeAstronautClip', () => {
  it('places the photo where astronautPositionAt says', async () => {
    const params = { seconds: 2, audio: false };
    const path = await makeAstronautClip({ ...params, cacheDir });
    const [width, height] = [1920, 1080];
    for (const frame of [0, 45, 100]) {
      const { stdout } = await ffmpeg([
        '-i',
        path,
        '-vf',
        `select=eq(n\\,${frame})`,
        '-vframes',
        '1',
        '-pix_fmt',
        'gray',
        '-f',
        'rawvideo',
        '-',
      ]);
      expect(stdout.length).toBe(width * height);
      const { x, y, size } = astronautPositionAt(frame / 60, params);
      /** Share of pixels in a rectangle that are the grey background (luma ~128). */
      const greyShare = (x0: number, y0: number, w: number, h: number) => {
        let grey = 0;
        for (let row = y0; row < y0 + h; row++) {
          for (let col = x0; col < x0 + w; col++) if (Math.abs(stdout[row * width + col]! - 128) <= 4) grey++;
        }
        return grey / (w * h);
      };
      // Four-pixel strips just outside each edge are background; strips just inside are photo.
      expect(greyShare(x - 6, y, 4, size)).toBeGreaterThan(0.97);
      expect(greyShare(x + size + 2, y, 4, size)).toBeGreaterThan(0.97);
      expect(greyShare(x, y - 6, size, 4)).toBeGreaterThan(0.97);
      expect(greyShare(x, y + size + 2, size, 4)).toBeGreaterThan(0.97);
      expect(greyShare(x + 2, y, 4, size)).toBeLessThan(0.5);
      expect(greyShare(x + size - 6, y, 4, size)).toBeLessThan(0.5);
      expect(greyShare(x, y + 2, size, 4)).toBeLessThan(0.5);
      expect(greyShare(x, y + size - 6, size, 4)).toBeLessThan(0.5);
    }
  });
});

describe('makeCorruptMp4', () => {
  it('writes an MP4 that FFmpeg refuses', async () => {
    const path = await makeCorruptMp4(join(dir, 'corrupt.mp4'));
    const result = await ffmpeg(['-i', path, '-f', 'null', '-']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/moov atom not found|Invalid data found/);
  });
});
