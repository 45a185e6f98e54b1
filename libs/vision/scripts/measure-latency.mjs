#!/usr/bin/env node
/**
 * Per-frame latency of a model through the real Detector (built dist), on the astronaut fixture.
 *
 *   npx tsc -b libs/vision && node libs/vision/scripts/measure-latency.mjs [--model ID|manifest.json]
 *     [--provider auto|cuda|cpu] [--threads N] [--runs N]
 *
 * Prints medians and p90/p99 of inference, pre- and post-processing per run at batch 1 and, when the model's batch
 * dimension is dynamic, at its largest batch (per-frame = per-run / batch).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { Detector, resolveManifest } from '../dist/index.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    provider: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
    runs: { type: 'string', default: '300' },
  },
});
const runs = Number(args.runs);
const WARM_UP = 20;

const manifest = await resolveManifest(args.model);
const detector = await Detector.create({
  manifest,
  provider: args.provider,
  intraOpThreads: args.threads === undefined ? undefined : Number(args.threads),
  logger: { warn: (message) => console.warn(`warning: ${message}`) },
});
const { width, height } = detector.inputSize;

// The square photo scaled to the model input: no letterbox bands, so the frame metadata stays trivial.
const photo = fileURLToPath(new URL('../test-fixtures/astronaut.png', import.meta.url));
const pixels = execFileSync(process.env.FFMPEG_PATH ?? ffmpeg.path, [
  ...['-v', 'error', '-i', photo, '-vf', `scale=${width}:${height},format=rgb24`, '-f', 'rawvideo', 'pipe:1'],
]);
const frame = {
  pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
  meta: {
    source: { width, height },
    frame: { width, height, pixelFormat: 'rgb24' },
    letterbox: { scale: 1, padX: 0, padY: 0 },
  },
};

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return ['0.5', '0.9', '0.99'].map((q) => quantile(sorted, Number(q)).toFixed(2)).join(' / ');
};

console.log(`model ${detector.modelId} ${width}x${height}, ${detector.provider}, maxBatch ${detector.maxBatch}`);
const [first] = await detector.detect([frame]);
const found = first.detections.map((d) => `${d.label} ${d.score.toFixed(4)}`);
console.log(`detections: ${found.join(', ') || 'none'}`);

for (const batch of new Set([1, detector.maxBatch])) {
  const frames = Array.from({ length: batch }, () => frame);
  const timings = [];
  for (let i = 0; i < WARM_UP + runs; i++) {
    const [result] = await detector.detect(frames);
    if (i >= WARM_UP) timings.push(result.timings);
  }
  console.log(`batch ${batch}, ${runs} runs, ms per run (median / p90 / p99):`);
  for (const key of ['preprocessMs', 'inferenceMs', 'postprocessMs']) {
    console.log(`  ${key.padEnd(14)} ${summary(timings.map((t) => t[key]))}`);
  }
  const perFrame = timings.map((t) => (t.preprocessMs + t.inferenceMs + t.postprocessMs) / batch);
  console.log(`  total/frame    ${summary(perFrame)}`);
}
await detector.release();
