#!/usr/bin/env node
/**
 * Does the source picture (the decoder's preview on fd 3) show the frame it arrives with? Decodes the moving
 * astronaut clip (a photo gliding over grey) with ingest's decoder and, for each new picture, compares the photo's
 * horizontal centre in the picture with its centre in the model frame the picture came out with (source pixels).
 * A constant offset of one preview period of motion means FFmpeg hands the picture over one picture late; the
 * offset to the frame the decoder places it at (`framesBehind`, from the picture's own showinfo pts) should be ~0.
 *
 *   node bench/source-picture-alignment.mjs <astronaut clip.mp4> [ffmpeg=/usr/bin/ffmpeg] [rt]
 */
import { FfmpegDecoder } from '../libs/video/dist/index.js';
const clip = process.argv[2];
if (!clip) throw new Error('usage: node bench/source-picture-alignment.mjs <clip> [ffmpeg] [rt]');
const ffmpegPath = process.argv[3] ?? '/usr/bin/ffmpeg';
const dec = new FfmpegDecoder({
  ffmpegPath,
  input: { kind: 'file', path: clip, loop: false, realtime: process.argv[4] === 'rt' },
  output: { width: 256, height: 256, pixelFormat: 'rgb24' },
  preview: { width: 960, fps: 4 },
});
/** Mean x of the non-grey pixels in rows y0..y1. */
function cx(buf, w, h, y0, y1) {
  let sum = 0,
    n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const r = buf[i],
        g = buf[i + 1],
        b = buf[i + 2];
      if (Math.abs(r - 128) + Math.abs(g - 128) + Math.abs(b - 128) > 60) {
        sum += x;
        n++;
      }
    }
  return n ? sum / n : NaN;
}
let last,
  k = 0;
const centres = [];
for await (const f of dec) {
  k++;
  centres.push((cx(f.pixels, 256, 256, 56, 200) * 1920) / 256);
  if (f.preview && f.preview.seq !== last) {
    last = f.preview.seq;
    const arrivedWith = centres.at(-1);
    const placedAt = centres.at(-1 - f.preview.framesBehind);
    const pv = cx(f.preview.pixels, 960, 540, 0, 540) * 2;
    console.log(
      k,
      'picture',
      pv.toFixed(0),
      'vs frame it arrived with',
      (pv - arrivedWith).toFixed(0),
      `vs its placed frame (${f.preview.framesBehind} behind)`,
      (pv - placedAt).toFixed(0),
    );
  }
}
