/**
 * The FFmpeg letterbox filter and contracts' computeLetterbox must describe the same transform, or inference maps
 * boxes back to the wrong source pixels. Real FFmpeg decodes white clips of awkward sizes; the white rectangle in
 * each output frame must sit exactly where computeLetterbox says.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { computeLetterbox, type PixelFormat, type Size } from '@sightline/contracts';
import { ffmpegPath, makeTempDir } from '@sightline/local-infra';
import { beforeAll, describe, expect, it } from 'vitest';
import { FfmpegDecoder, type DecodedFrame } from './decoder.js';

const run = promisify(execFile);
let ffmpeg: string;
let dir: string;

beforeAll(async () => {
  [ffmpeg, dir] = await Promise.all([ffmpegPath(), makeTempDir('letterbox')]);
});

async function whiteClip({ width, height }: Size): Promise<string> {
  const path = join(dir, `white-${width}x${height}.mp4`);
  await run(ffmpeg, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=white:size=${width}x${height}:rate=5`],
    ...['-t', '0.4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path],
  ]);
  return path;
}

async function allFrames(path: string, output: Size & { pixelFormat: PixelFormat }, decodeThreads?: number): Promise<DecodedFrame[]> {
  const decoder = new FfmpegDecoder({
    ffmpegPath: ffmpeg,
    input: { kind: 'file', path, loop: false, realtime: false },
    output,
    decodeThreads,
  });
  const frames: DecodedFrame[] = [];
  for await (const frame of decoder) frames.push({ ...frame, pixels: Buffer.from(frame.pixels) });
  return frames;
}

async function firstFrame(path: string, output: Size & { pixelFormat: PixelFormat }): Promise<DecodedFrame> {
  const decoder = new FfmpegDecoder({ ffmpegPath: ffmpeg, input: { kind: 'file', path, loop: false, realtime: false }, output });
  for await (const frame of decoder) return frame;
  throw new Error('no frame decoded');
}

/** Bounding box of the bright (picture) pixels of a gray frame. */
function brightBox(pixels: Uint8Array, { width, height }: Size) {
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[y * width + x]! > 128) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

describe('letterbox filter', () => {
  it.each([
    [
      { width: 1920, height: 1080 },
      { width: 256, height: 256 },
    ],
    [
      { width: 1080, height: 1920 },
      { width: 256, height: 256 },
    ],
    [
      { width: 1000, height: 334 },
      { width: 256, height: 256 },
    ],
    [
      { width: 250, height: 1000 },
      { width: 256, height: 256 },
    ],
    [
      { width: 1366, height: 768 },
      { width: 320, height: 192 },
    ],
    [
      { width: 640, height: 480 },
      { width: 320, height: 192 },
    ],
    [
      { width: 98, height: 62 },
      { width: 640, height: 640 },
    ],
  ])('places a %o source exactly as computeLetterbox in %o', async (source, target) => {
    const frame = await firstFrame(await whiteClip(source), { ...target, pixelFormat: 'gray' });
    const plan = computeLetterbox(source, target);
    expect(frame.source).toEqual(source);
    expect(frame.pixels.length).toBe(target.width * target.height);
    expect(brightBox(frame.pixels, target)).toEqual({ x: plan.padX, y: plan.padY, width: plan.scaledWidth, height: plan.scaledHeight });
  });
});

describe('decoder threads', () => {
  it("one software decoding thread yields the same frames, bytes and pts, as FFmpeg's frame threading", async () => {
    // Moving content with B-frames: frame threading reorders work across references, so this is where they could differ.
    const path = join(dir, 'moving.mp4');
    await run(ffmpeg, [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '2'],
      ...['-c:v', 'libx264', '-bf', '3', '-g', '30', '-pix_fmt', 'yuv420p', path],
    ]);
    const output = { width: 256, height: 256, pixelFormat: 'rgb24' as const };
    const [single, threaded] = await Promise.all([allFrames(path, output, 1), allFrames(path, output, 4)]);
    expect(single).toHaveLength(60);
    expect(threaded).toHaveLength(60);
    expect(single.map((f) => f.info?.ptsTime)).toEqual(threaded.map((f) => f.info?.ptsTime));
    single.forEach((frame, i) => expect(Buffer.compare(frame.pixels, threaded[i]!.pixels), `frame ${i}`).toBe(0));
  });
});
