/**
 * JPEG snapshots of a session's latest frame (the model input) or source picture (the decoder's preview) for the web
 * console: encoded on demand by a short FFmpeg run (nothing is spent while nobody looks), at most one encode per
 * `minIntervalMs` per session however often it is asked.
 */
import { execFile } from 'node:child_process';
import { SightlineError } from '@sightline/contracts';
import { buildJpegArgs, type FrameFormat } from './ffmpeg/command.js';
import { VideoErrorCode } from './errors.js';

export function encodeJpeg(ffmpegPath: string, pixels: Uint8Array, format: FrameFormat): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      ffmpegPath,
      buildJpegArgs(format),
      { encoding: 'buffer', maxBuffer: 8 * 1024 * 1024, timeout: 5000 },
      (error, stdout, stderr) => {
        if (error)
          reject(new SightlineError(VideoErrorCode.snapshotFailed, `JPEG encoding failed: ${stderr.toString().trim() || error.message}`));
        else resolve(stdout);
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(pixels);
  });
}

export interface LatestFrame {
  seq: number;
  pixels: Uint8Array;
}

export class SnapshotCache<F extends LatestFrame = LatestFrame> {
  private cached?: { seq: number; at: number; frame: F; jpeg: Promise<Buffer> };

  constructor(
    private readonly encode: (frame: F) => Promise<Buffer>,
    private readonly minIntervalMs = 500,
  ) {}

  /** The latest frame as JPEG; a recent (or in-progress) encoding is reused. */
  get(latest: F): Promise<Buffer> {
    return this.encoded(latest).jpeg;
  }

  /** Like get, with the frame the JPEG shows (an older one when a recent encoding is reused). */
  encoded(latest: F): { frame: F; jpeg: Promise<Buffer> } {
    const now = Date.now();
    const cached = this.cached;
    if (cached && (cached.seq === latest.seq || now - cached.at < this.minIntervalMs)) return cached;
    const jpeg = this.encode(latest);
    this.cached = { seq: latest.seq, at: now, frame: latest, jpeg };
    // A failed encoding is not cached.
    jpeg.catch(() => {
      if (this.cached?.jpeg === jpeg) this.cached = undefined;
    });
    return { frame: latest, jpeg };
  }
}
