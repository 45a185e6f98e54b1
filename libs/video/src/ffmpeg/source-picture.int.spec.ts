/**
 * The source picture (the decoder's second output) must show the frame it is placed at, or the console draws one
 * frame's boxes over another frame's picture. Real FFmpeg (the system's 5.1, which hands a picture over one picture
 * late, and the npm static 4.1, which does not) decodes the astronaut clip, a photo gliding ~11 px a frame over grey:
 * the photo's centre in each picture must match its centre in the model frame `framesBehind` before the one the
 * picture arrived with, within about half a frame of motion.
 */
import { existsSync } from 'node:fs';
import { makeAstronautClip } from '@sightline/local-infra';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_FFMPEG_PATH, SYSTEM_FFMPEG_PATH } from './ffmpeg-path.js';
import { FfmpegDecoder } from './decoder.js';

let clip: string;
beforeAll(async () => {
  clip = await makeAstronautClip({ seconds: 4 });
});

/** Mean x of the photo's pixels (everything clearly not the grey background) in rows y0..y1 of an rgb24 image. */
function photoCentreX(pixels: Buffer, width: number, y0: number, y1: number): number {
  let sum = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (Math.abs(pixels[i]! - 128) + Math.abs(pixels[i + 1]! - 128) + Math.abs(pixels[i + 2]! - 128) > 60) {
        sum += x;
        count++;
      }
    }
  }
  return sum / count;
}

const FFMPEGS = [
  ['system FFmpeg', SYSTEM_FFMPEG_PATH],
  ['npm static FFmpeg', BUNDLED_FFMPEG_PATH],
].filter(([, path]) => existsSync(path!));

describe('source pictures placed at their frames', () => {
  it('has both FFmpeg builds to check', () => {
    expect(FFMPEGS.map(([name]) => name)).toEqual(['system FFmpeg', 'npm static FFmpeg']);
  });

  it.each(FFMPEGS)('%s: every picture shows the frame it is placed at (960×540, 4 per second of video)', async (_, ffmpegPath) => {
    const decoder = new FfmpegDecoder({
      ffmpegPath: ffmpegPath!,
      input: { kind: 'file', path: clip, loop: false, realtime: true },
      output: { width: 256, height: 256, pixelFormat: 'rgb24' },
      preview: { width: 960, fps: 4 },
    });
    // Model frames: 1920×1080 letterboxed into 256×256 is 256×144 at rows 56..200; ×7.5 to source pixels.
    const frameCentres: number[] = [];
    const offsets: number[] = [];
    let lastPicture: number | undefined;
    for await (const frame of decoder) {
      frameCentres.push(photoCentreX(frame.pixels, 256, 56, 200) * 7.5);
      const picture = frame.preview;
      if (!picture || picture.seq === lastPicture) continue;
      lastPicture = picture.seq;
      expect(picture.format).toEqual({ width: 960, height: 540, pixelFormat: 'rgb24' });
      const placed = frameCentres[frameCentres.length - 1 - picture.framesBehind]!;
      offsets.push(photoCentreX(picture.pixels, 960, 0, 540) * 2 - placed);
    }
    // 4 s of 60 fps video, one picture per 0.25 s (the last one may still be in FFmpeg when the input ends; on a loaded
    // box a picture may be replaced by the next before a frame carries it: 14 seen at load 30).
    expect(offsets.length).toBeGreaterThanOrEqual(12);
    expect(offsets.length).toBeLessThanOrEqual(16);
    // Placed one frame off would be ~11 px; one picture off (the 5.1 delay unaccounted for) ~150 px.
    for (const offset of offsets) expect(Math.abs(offset)).toBeLessThan(8);
  });
});
