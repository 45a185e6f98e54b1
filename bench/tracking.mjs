#!/usr/bin/env node
// Tracking benchmark: a synthetic clip of the astronaut photo moving, crossing and covering itself (bench/tracking/
// scene.mjs, exact per-frame ground truth) → FFmpeg decode + letterbox → BlazeFace (onnxruntime, CPU) → the tracker.
// Reports CLEAR-MOT (MOTA, ID switches) and IDF1 for the tracker and, in the same run, for a bare greedy IoU tracker
// (the baseline: no motion model, no second association stage), with every frame and with every second frame
// analysed (gaps); the tracker's CPU time per frame next to the detector's; and the latency the reorder window adds
// when two replicas deliver frames out of order and some never arrive.
//   node bench/tracking.mjs [--json FILE]       (build first: npm run build)
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { computeLetterbox } from '@sightline/contracts';
import { ASTRONAUT_PHOTO, ffmpegPath } from '@sightline/local-infra';
import { ReorderWindow, SessionTracker, evaluateMot, iou } from '@sightline/tracking';
import { DEFAULT_MODEL_ID, Detector, resolveManifest } from '@sightline/vision';
import { SCENE, sceneFilter, truthAt } from './tracking/scene.mjs';

const { values: args } = parseArgs({ options: { json: { type: 'string', default: 'bench/tracking-results.json' } } });
const run = promisify(execFile);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const MIN_VISIBILITY = 0.5;

async function makeClip(ffmpeg) {
  const dir = join(tmpdir(), 'sightline-tracking-bench');
  mkdirSync(dir, { recursive: true });
  const clip = join(dir, `scene-${SCENE.width}x${SCENE.height}-${SCENE.fps}-${SCENE.seconds}.mp4`);
  if (existsSync(clip)) return clip;
  await run(ffmpeg, [
    '-y',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x808080:size=${SCENE.width}x${SCENE.height}:rate=${SCENE.fps}`,
    '-loop',
    '1',
    '-framerate',
    String(SCENE.fps),
    '-i',
    ASTRONAUT_PHOTO,
    '-filter_complex',
    sceneFilter(),
    '-map',
    '[video]',
    '-t',
    String(SCENE.seconds),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(SCENE.fps),
    clip,
  ]);
  return clip;
}

/** Decodes the clip letterboxed to the model input, as ingest does; yields raw rgb24 frames. */
async function* decodeFrames(ffmpeg, clip, input) {
  const plan = computeLetterbox({ width: SCENE.width, height: SCENE.height }, input);
  const filter = `scale=${plan.scaledWidth}:${plan.scaledHeight}:flags=area,pad=${input.width}:${input.height}:${plan.padX}:${plan.padY}:black,format=rgb24`;
  const proc = spawn(ffmpeg, ['-loglevel', 'error', '-i', clip, '-vf', filter, '-f', 'rawvideo', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const frameBytes = input.width * input.height * 3;
  let pending = Buffer.alloc(0);
  for await (const chunk of proc.stdout) {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= frameBytes) {
      yield { pixels: new Uint8Array(pending.subarray(0, frameBytes)), letterbox: { scale: plan.scale, padX: plan.padX, padY: plan.padY } };
      pending = pending.subarray(frameBytes);
    }
  }
}

/** The baseline: each detection takes the id of the previous frame's box it overlaps most (IoU ≥ 0.3), else a new id. */
function greedyIouTracker() {
  let previous = [];
  let nextId = 1;
  return (detections) => {
    const taken = new Set();
    const current = detections
      .filter((d) => d.score >= 0.5)
      .map((d) => {
        let best;
        for (const p of previous) {
          const overlap = iou(p.box, d.box);
          if (!taken.has(p.id) && overlap >= 0.3 && (!best || overlap > best.overlap)) best = { id: p.id, overlap };
        }
        const id = best ? best.id : nextId++;
        taken.add(id);
        return { id, box: d.box };
      });
    previous = current;
    return current;
  };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
}

function trackFrames(frames, step) {
  const tracker = new SessionTracker('bench');
  const baseline = greedyIouTracker();
  const ours = [];
  const bare = [];
  const cpuMicros = [];
  for (const frame of frames.filter((f) => f.n % step === 0)) {
    const payload = {
      frameSeq: frame.n,
      pts: frame.n / SCENE.fps,
      captureTime: new Date(Date.UTC(2026, 0, 1) + (frame.n * 1000) / SCENE.fps).toISOString(),
      source: { width: SCENE.width, height: SCENE.height },
      model: DEFAULT_MODEL_ID,
      provider: 'cpu',
      batchSize: 1,
      detections: frame.detections,
      latency: { queueMs: 0, preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, totalMs: 0 },
    };
    const cpu = process.cpuUsage();
    const events = tracker.process(payload);
    const used = process.cpuUsage(cpu);
    cpuMicros.push(used.user + used.system);
    const tracked = events.find((e) => e.envelope.event === 'frameTracked').envelope.payload.tracks;
    const truth = frame.truth;
    ours.push({ truth, hypotheses: tracked.map((t) => ({ id: t.trackId, box: t.box })) });
    bare.push({ truth, hypotheses: baseline(frame.detections) });
  }
  return { ours: evaluateMot(ours), bare: evaluateMot(bare), cpuMicros };
}

/** Two replicas finishing frames out of order (latency 15–75 ms, seeded), `dropRate` of frames never arriving. */
function reorderLatency(dropRate) {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const frameMs = 1000 / SCENE.fps;
  const arrivals = [];
  for (let n = 0; n < 30 * SCENE.fps; n++) {
    if (n > 0 && random() < dropRate) continue;
    arrivals.push({ n, at: n * frameMs + 15 + 60 * random() });
  }
  arrivals.sort((a, b) => a.at - b.at);
  const window = new ReorderWindow({ maxFrames: 32, maxWaitMs: 250 });
  const added = [];
  const arrivedAt = new Map();
  const drain = (now) => {
    for (const { seq } of window.release(now)) added.push(now - arrivedAt.get(seq));
  };
  for (const { n, at } of arrivals) {
    // Deadlines that passed before this arrival fire first, at their own time.
    for (let deadline = window.nextDeadline(); deadline !== undefined && deadline <= at; deadline = window.nextDeadline()) drain(deadline);
    arrivedAt.set(n, at);
    window.offer(n, n, at);
    drain(at);
  }
  for (let deadline = window.nextDeadline(); deadline !== undefined; deadline = window.nextDeadline()) drain(deadline);
  const waited = added.filter((ms) => ms > 0);
  return {
    frames: added.length,
    dropped: 30 * SCENE.fps - arrivals.length,
    outOfOrderShare: waited.length / added.length,
    p50Ms: percentile(added, 0.5),
    p90Ms: percentile(added, 0.9),
    p99Ms: percentile(added, 0.99),
    maxMs: Math.max(...added),
  };
}

const ffmpeg = await ffmpegPath();
const clip = await makeClip(ffmpeg);
const detector = await Detector.create({
  manifest: await resolveManifest(DEFAULT_MODEL_ID),
  provider: 'cpu',
  intraOpThreads: 1,
  logger: quiet,
});
await detector.warmUp(1);
const frames = [];
const inferenceMs = [];
let n = 0;
for await (const raw of decodeFrames(ffmpeg, clip, detector.inputSize)) {
  const [result] = await detector.detect([
    {
      pixels: raw.pixels,
      meta: {
        source: { width: SCENE.width, height: SCENE.height },
        frame: { ...detector.inputSize, pixelFormat: 'rgb24' },
        letterbox: raw.letterbox,
      },
    },
  ]);
  inferenceMs.push(result.timings.preprocessMs + result.timings.inferenceMs + result.timings.postprocessMs);
  const truth = truthAt(n)
    .filter((t) => t.visibility >= MIN_VISIBILITY)
    .map((t) => ({ id: t.id, box: t.box }));
  frames.push({ n, detections: result.detections, truth });
  n++;
}
await detector.release();

const every = trackFrames(frames, 1);
const half = trackFrames(frames, 2);
const detectionsOnly = evaluateMot(
  frames.map((f) => ({
    truth: f.truth,
    hypotheses: f.detections.filter((d) => d.score >= 0.5).map((d, i) => ({ id: f.n * 100 + i, box: d.box })),
  })),
);
const reorder = reorderLatency(0.03);
const reorderNoDrops = reorderLatency(0);
const round = (v, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
const summary = (m) => ({
  mota: round(m.mota),
  idf1: round(m.idf1),
  idSwitches: m.idSwitches,
  misses: m.misses,
  falsePositives: m.falsePositives,
  matches: m.matches,
  truthBoxes: m.truthBoxes,
  motp: round(m.motp),
});
const results = {
  machine: {
    host: hostname(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
  },
  scene: { ...SCENE, frames: frames.length, minVisibility: MIN_VISIBILITY, model: DEFAULT_MODEL_ID },
  detector: {
    recall: round(detectionsOnly.matches / detectionsOnly.truthBoxes),
    precision: round(detectionsOnly.matches / detectionsOnly.hypothesisBoxes),
    msPerFrameP50: round(percentile(inferenceMs, 0.5), 2),
  },
  everyFrame: { tracker: summary(every.ours), greedyIou: summary(every.bare) },
  everySecondFrame: { tracker: summary(half.ours), greedyIou: summary(half.bare) },
  trackerCpu: {
    microsPerFrameP50: percentile(every.cpuMicros, 0.5),
    microsPerFrameP99: percentile(every.cpuMicros, 0.99),
    microsPerFrameMean: round(every.cpuMicros.reduce((a, b) => a + b, 0) / every.cpuMicros.length, 1),
  },
  reorderWindow: {
    maxWaitMs: 250,
    drops3Percent: Object.fromEntries(Object.entries(reorder).map(([k, v]) => [k, round(v, 2)])),
    noDrops: Object.fromEntries(Object.entries(reorderNoDrops).map(([k, v]) => [k, round(v, 2)])),
  },
};
writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
