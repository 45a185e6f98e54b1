#!/usr/bin/env node
/**
 * What the console's source picture costs the decoder: FFmpeg's CPU time (user + sys, from /usr/bin/time) for the
 * same clip decoded with ingest's exact command line, without and with the preview output (fd 3), alternating runs.
 * JPEG encoding is not included: it happens only when a viewer asks (GET /sessions/:id/picture.jpg).
 *
 *   node bench/source-picture.mjs <clip.mp4> [runs=3] [ffmpeg=/usr/bin/ffmpeg]
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { buildDecoderArgs } from '../libs/video/dist/index.js';

const [clip, runsArg = '3', ffmpeg = '/usr/bin/ffmpeg'] = process.argv.slice(2);
if (!clip) {
  console.error('usage: node bench/source-picture.mjs <clip.mp4> [runs] [ffmpeg]');
  process.exit(2);
}
const devNull = openSync('/dev/null', 'w');
const frame = { width: 256, height: 256, pixelFormat: 'rgb24' };
const input = { kind: 'file', path: clip, loop: false, realtime: false };

function cpuSeconds(preview) {
  const args = buildDecoderArgs(input, frame, preview ? { preview: { width: 960, fps: 4 } } : {});
  return new Promise((resolve, reject) => {
    // stdout and fd 3 go to /dev/null; stderr carries showinfo lines and, last, the time line.
    const child = spawn('/usr/bin/time', ['-f', 'CPU %U %S', ffmpeg, '-threads', '1', ...args], {
      stdio: ['ignore', devNull, 'pipe', devNull],
    });
    let tail = '';
    child.stderr.on('data', (chunk) => (tail = (tail + chunk).slice(-2000)));
    child.on('close', (code) => {
      const m = /CPU ([\d.]+) ([\d.]+)/.exec(tail);
      if (code !== 0 || !m) reject(new Error(`ffmpeg failed (${code}): ${tail}`));
      else resolve(Number(m[1]) + Number(m[2]));
    });
  });
}

const results = { without: [], with: [] };
for (let i = 0; i < Number(runsArg); i++) {
  results.without.push(await cpuSeconds(false));
  results.with.push(await cpuSeconds(true));
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  JSON.stringify(
    { clip, ffmpeg, runs: Number(runsArg), cpuSeconds: results, meanWithout: mean(results.without), meanWith: mean(results.with) },
    null,
    1,
  ),
);
