/**
 * Test frames made the way ingest makes them: FFmpeg scales and pads (letterbox) to the model size, rgb24 raw.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { computeLetterbox, type Size } from '@sightline/contracts';
import type { InputFrame } from '../src/index.js';

export const ASTRONAUT_PNG = fileURLToPath(new URL('../test-fixtures/astronaut.png', import.meta.url));

const run = promisify(execFile);

async function ffmpegPath(): Promise<string> {
  return process.env.FFMPEG_PATH ?? (await import('@ffmpeg-installer/ffmpeg')).default.path;
}

/** Width and height from the PNG header (IHDR is always the first chunk). */
async function pngSize(path: string): Promise<Size> {
  const header = await readFile(path);
  return { width: header.readUInt32BE(16), height: header.readUInt32BE(20) };
}

/** Where to place the image inside a larger grey source frame (a stand-in for a camera picture). */
export interface Placement {
  canvas: Size;
  x: number;
  y: number;
}

/**
 * The PNG (optionally placed on a bigger canvas first, which then is the source frame) letterboxed to `target`
 * as rgb24, with the metadata ingest would send along.
 */
export async function letterboxedFrame(png: string, target: Size, placement?: Placement): Promise<InputFrame> {
  const source = placement?.canvas ?? (await pngSize(png));
  const plan = computeLetterbox(source, target);
  const filters = [
    ...(placement ? [`pad=${source.width}:${source.height}:${placement.x}:${placement.y}:color=gray`] : []),
    `scale=${plan.scaledWidth}:${plan.scaledHeight}`,
    `pad=${target.width}:${target.height}:${plan.padX}:${plan.padY}`,
    'format=rgb24',
  ];
  const { stdout } = await run(
    await ffmpegPath(),
    ['-v', 'error', '-i', png, '-vf', filters.join(','), '-frames:v', '1', '-f', 'rawvideo', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return {
    pixels: new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.byteLength),
    meta: {
      source,
      frame: { ...target, pixelFormat: 'rgb24' },
      letterbox: { scale: plan.scale, padX: plan.padX, padY: plan.padY },
    },
  };
}

/** A uniformly coloured frame of the model size (nothing to find in it). */
export function uniformFrame(size: Size, value: number): InputFrame {
  return {
    pixels: new Uint8Array(size.width * size.height * 3).fill(value),
    meta: { source: size, frame: { ...size, pixelFormat: 'rgb24' }, letterbox: { scale: 1, padX: 0, padY: 0 } },
  };
}
