/**
 * Test media generated with FFmpeg at test time (no binary fixtures besides one public-domain photo): H.264 + AAC
 * MP4 clips shaped like the required input (1080p60, requirements §2.1), a clip with a real face moving along a known path, and a corrupt
 * MP4. Clips are cached by their parameters, so a test suite encodes each clip once per machine.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The npm FFmpeg unless FFMPEG_PATH points elsewhere. */
export async function ffmpegPath(): Promise<string> {
  return process.env.FFMPEG_PATH ?? (await import('@ffmpeg-installer/ffmpeg')).default.path;
}

export const ASTRONAUT_PHOTO = fileURLToPath(new URL('../assets/astronaut.png', import.meta.url));

/** Where the face is inside the astronaut photo, as fractions of the photo's width and height. */
export const ASTRONAUT_FACE_REGION = { x0: 0.33, y0: 0.12, x1: 0.53, y1: 0.33 } as const;

interface CacheOptions {
  /** Also copy the clip to this path; the cached file's path is returned otherwise. */
  path?: string;
  /** Defaults to $SIGHTLINE_MEDIA_CACHE or <tmp>/sightline-media-cache. */
  cacheDir?: string;
}

export interface TestClipOptions extends CacheOptions {
  width?: number;
  height?: number;
  fps?: number;
  seconds: number;
  audio?: boolean;
}

/** A moving test pattern (testsrc2) as H.264 Main (yuv420p, keyframe every second, no B-frames) + AAC in MP4. */
export async function makeTestClip(options: TestClipOptions): Promise<string> {
  const { width = 1920, height = 1080, fps = 60, seconds, audio = true } = options;
  return cachedClip('clip', { width, height, fps, seconds, audio }, options, (output) => [
    ...['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`],
    ...encodeArgs({ width, height, fps, seconds, audio }, '0:v', 1, output),
  ]);
}

export interface AstronautClipParams {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** Side of the (square) photo in output pixels. */
  photoSize: number;
  /** Distance the photo keeps from the frame's edges. */
  margin: number;
  /** The photo bounces left-right once per periodX and top-bottom once per periodY (triangle waves). */
  periodXSeconds: number;
  periodYSeconds: number;
}

export const DEFAULT_ASTRONAUT_CLIP: AstronautClipParams = {
  width: 1920,
  height: 1080,
  fps: 60,
  seconds: 4,
  photoSize: 512,
  margin: 32,
  periodXSeconds: 4,
  periodYSeconds: 3,
};

export interface PhotoPlacement {
  x: number;
  y: number;
  size: number;
}

/**
 * Top-left corner and size of the photo in output pixels at time t (frame n is at t = n / fps). Mirrors the FFmpeg
 * overlay expression below, including overlay's rounding (truncate, then even for 4:2:0 chroma).
 */
export function astronautPositionAt(tSeconds: number, params: Partial<AstronautClipParams> = {}): PhotoPlacement {
  const p = { ...DEFAULT_ASTRONAUT_CLIP, ...params };
  const triangle = (u: number) => 1 - Math.abs(2 * (u - Math.floor(u)) - 1);
  const at = (extent: number, period: number) => {
    const exact = p.margin + (extent - p.photoSize - 2 * p.margin) * triangle(tSeconds / period);
    return Math.floor(exact) & ~1;
  };
  return { x: at(p.width, p.periodXSeconds), y: at(p.height, p.periodYSeconds), size: p.photoSize };
}

/** The face's bounding box in output pixels at time t (from ASTRONAUT_FACE_REGION). */
export function astronautFaceBoxAt(
  tSeconds: number,
  params: Partial<AstronautClipParams> = {},
): { x: number; y: number; width: number; height: number } {
  const { x, y, size } = astronautPositionAt(tSeconds, params);
  const r = ASTRONAUT_FACE_REGION;
  return { x: x + r.x0 * size, y: y + r.y0 * size, width: (r.x1 - r.x0) * size, height: (r.y1 - r.y0) * size };
}

/** The astronaut photo moving over a neutral grey background along astronautPositionAt's path. */
export async function makeAstronautClip(options: Partial<AstronautClipParams> & CacheOptions & { audio?: boolean } = {}): Promise<string> {
  const { path, cacheDir, audio = true, ...clip } = options;
  const p = { ...DEFAULT_ASTRONAUT_CLIP, ...clip };
  const axis = (extent: number, period: number) => `${p.margin}+${extent - p.photoSize - 2 * p.margin}*(1-abs(2*mod(t/${period},1)-1))`;
  const filter =
    `[1:v]scale=${p.photoSize}:${p.photoSize}[photo];` +
    `[0:v][photo]overlay=x='${axis(p.width, p.periodXSeconds)}':y='${axis(p.height, p.periodYSeconds)}':eval=frame[video]`;
  return cachedClip('astronaut', { ...p, audio }, { path, cacheDir }, (output) => [
    ...['-f', 'lavfi', '-i', `color=c=0x808080:size=${p.width}x${p.height}:rate=${p.fps}`],
    ...['-loop', '1', '-framerate', String(p.fps), '-i', ASTRONAUT_PHOTO],
    ...['-filter_complex', filter],
    ...encodeArgs({ ...p, audio }, '[video]', 2, output),
  ]);
}

/**
 * An MP4 that FFmpeg cannot open: a valid `ftyp` box, then garbage where the `moov` box was, and the media data cut
 * off at 60 %. Deterministic, so failures reproduce.
 */
export async function makeCorruptMp4(path: string): Promise<string> {
  const valid = readFileSync(await makeTestClip({ width: 320, height: 240, fps: 30, seconds: 2 }));
  const corrupt = Buffer.from(valid.subarray(0, Math.floor(valid.length * 0.6)));
  const ftypSize = corrupt.readUInt32BE(0);
  for (let i = ftypSize; i < Math.min(ftypSize + 4096, corrupt.length); i++) corrupt[i] = (i * 0x9e + 0x5b) & 0xff;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, corrupt);
  return path;
}

interface EncodeParams {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  audio: boolean;
}

/**
 * The encoding half of the FFmpeg command line. `video` names the video to encode (a stream or filter label);
 * `inputCount` is how many inputs come before: a sine tone is added as the next input when audio is wanted.
 */
function encodeArgs({ width, height, fps, seconds, audio }: EncodeParams, video: string, inputCount: number, output: string): string[] {
  // ~0.05 bit per pixel: 6 Mbit/s at 1080p60, like a real camera.
  const bitrate = Math.round(width * height * fps * 0.05);
  return [
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
    ...['-map', video, ...(audio ? ['-map', `${inputCount}:a`] : [])],
    ...['-t', String(seconds)],
    ...['-c:v', 'libx264', '-preset', 'superfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p'],
    ...['-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-bf', '0'],
    ...['-b:v', String(bitrate), '-maxrate', String(bitrate * 1.3), '-bufsize', String(bitrate * 1.3)],
    ...(audio ? ['-c:a', 'aac', '-b:a', '96k'] : []),
    ...['-movflags', '+faststart', '-f', 'mp4', output],
  ];
}

/** Part of every cache key: bump it when the encoding settings change, so stale clips are not reused. */
const CACHE_VERSION = 1;

/** Encodes into the cache (temp file + rename, so concurrent test workers never see half a file). */
async function cachedClip(kind: string, params: object, options: CacheOptions, ffmpegArgs: (output: string) => string[]): Promise<string> {
  const dir = options.cacheDir ?? process.env.SIGHTLINE_MEDIA_CACHE ?? join(tmpdir(), 'sightline-media-cache');
  // The encoder is part of the key: clips of different FFmpeg builds differ (timestamps, muxer), and tests compare them.
  const encoder = await ffmpegPath();
  const key = createHash('sha256')
    .update(JSON.stringify({ kind, params, version: CACHE_VERSION, encoder }))
    .digest('hex')
    .slice(0, 16);
  const cached = join(dir, `${kind}-${key}.mp4`);
  if (!existsSync(cached)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${cached}.${process.pid}.partial`;
    try {
      await runFfmpeg(['-hide_banner', '-loglevel', 'error', '-y', ...ffmpegArgs(partial)]);
      renameSync(partial, cached);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  if (!options.path) return cached;
  mkdirSync(dirname(options.path), { recursive: true });
  copyFileSync(cached, options.path);
  return options.path;
}

async function runFfmpeg(args: string[]): Promise<void> {
  const binary = await ffmpegPath();
  await new Promise<void>((resolve, reject) => {
    execFile(binary, args, { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`ffmpeg ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve();
    });
  });
}
