#!/usr/bin/env node
// Inference on the GPU host through the service's own Detector (libs/vision): correctness on the astronaut photo
// (CUDA vs CPU), proof the CUDA provider is in use, and latency/throughput per model × provider × batch, and
// per number of concurrent sessions (cross-session batching), with GPU utilisation sampled by nvidia-smi.
//   node inference-bench.mjs --frame astronaut-256.rgb --out results.json [--providers cuda,cpu] [--quick]
//                            [--models blazeface,blazeface-batched,blazeface-batched-u8,yolo] [--intra-op-threads N (ORT's default)]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Detector, loadManifestFile, resolveManifest } from '@sightline/vision';
import { percentile } from '../lib/proc-stats.mjs';
import { buildSyntheticYolo } from './synthetic-yolo.mjs';

const { values: args } = parseArgs({
  options: {
    frame: { type: 'string' },
    out: { type: 'string' },
    providers: { type: 'string', default: 'cuda,cpu' },
    quick: { type: 'boolean' },
    models: { type: 'string', default: 'blazeface,blazeface-batched,yolo' },
    'intra-op-threads': { type: 'string' },
  },
});
const threads = args['intra-op-threads'] === undefined ? {} : { intraOpThreads: Number(args['intra-op-threads']) };
const log = (line) => process.stderr.write(`[gpu-bench] ${line}\n`);

function gpuSampler() {
  try {
    const proc = spawn('nvidia-smi', ['--query-gpu=utilization.gpu', '--format=csv,noheader,nounits', '-lms', '100'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const samples = [];
    proc.on('error', () => undefined); // no nvidia-smi (CPU-only host): utilisation stays unknown
    proc.stdout.on('data', (d) =>
      String(d)
        .split('\n')
        .filter(Boolean)
        .forEach((l) => samples.push(Number(l))),
    );
    return {
      stop: () => {
        proc.kill();
        return samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;
      },
    };
  } catch {
    return { stop: () => NaN };
  }
}

async function timeRuns(detector, frames, runs, warmup) {
  for (let i = 0; i < warmup; i++) await detector.detect(frames);
  const gpu = gpuSampler();
  const times = [];
  const stages = { preprocessMs: [], inferenceMs: [], postprocessMs: [] };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const [first] = await detector.detect(frames);
    times.push(performance.now() - t0);
    for (const stage of Object.keys(stages)) stages[stage].push(first.timings[stage]);
  }
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // CPU of this process (JS pre/post-processing, ORT's launches and synchronisation) per frame: what bounds a host.
  const cpuMsPerFrame = (cpu.user + cpu.system) / 1000 / (runs * frames.length);
  // Per frame, µs: what each stage of a run costs divided over its frames (median run).
  const stageUsPerFrame = Object.fromEntries(
    Object.entries(stages).map(([k, v]) => [k.replace('Ms', ''), (1000 * percentile(v, 50)) / frames.length]),
  );
  return {
    median: percentile(times, 50),
    p99: percentile(times, 99),
    fps: (runs * frames.length) / wall,
    cpuMsPerFrame,
    gpuUtil: gpu.stop(),
    stageUsPerFrame,
  };
}

const frameOf = (size, pixels) => ({
  pixels: pixels ?? new Uint8Array(size * size * 3).fill(114),
  meta: {
    frame: { width: size, height: size, pixelFormat: 'rgb24' },
    letterbox: { scale: 1, padX: 0, padY: 0 },
    source: { width: size, height: size },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'gpu-bench-'));
writeFileSync(join(dir, 'yolo.onnx'), buildSyntheticYolo());
writeFileSync(
  join(dir, 'yolo.json'),
  JSON.stringify({
    id: 'synthetic-yolo-640',
    file: 'yolo.onnx',
    input: { name: 'images', width: 640, height: 640 },
    decoder: { kind: 'yolo' },
    labels: Array.from({ length: 80 }, (_, i) => `class${i}`),
    scoreThreshold: 0.99,
    maxBatch: 32,
  }),
);
const available = {
  blazeface: () => resolveManifest('blazeface-back-256'),
  'blazeface-batched': () => resolveManifest('blazeface-back-256-batched'),
  'blazeface-batched-u8': () => resolveManifest('blazeface-back-256-batched-u8'),
  yolo: () => loadManifestFile(join(dir, 'yolo.json')),
};
const models = Object.fromEntries(await Promise.all(args.models.split(',').map(async (name) => [name, await available[name]()])));
const nvidiaSmi = (...query) => {
  try {
    return execFileSync('nvidia-smi', query).toString().trim();
  } catch {
    return 'nvidia-smi unavailable';
  }
};
const result = {
  host: nvidiaSmi('--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'),
  correctness: {},
  rows: [],
  sessions: [],
};
log(`GPU: ${result.host}`);

// ---- correctness + provider proof -----------------------------------------------------------------------------
const astronaut = frameOf(256, new Uint8Array(readFileSync(args.frame)));
astronaut.meta.source = { width: 1920, height: 1080 };
astronaut.meta.letterbox = { scale: 256 / 1920, padX: 0, padY: 56 };
for (const provider of args.providers.split(',')) {
  const detector = await Detector.create({ manifest: Object.values(models)[0], provider, logger: { warn: (m) => log(`warn: ${m}`) } });
  const [detected] = await detector.detect([astronaut]);
  result.correctness[provider] = { providerInUse: detector.provider, detections: detected.detections };
  if (provider === 'cuda') {
    result.correctness.computeApps = nvidiaSmi('--query-compute-apps=pid,process_name,used_memory', '--format=csv,noheader');
    result.correctness.pid = process.pid;
  }
  log(
    `${provider}: provider in use ${detector.provider}; ${JSON.stringify(detected.detections.map((d) => ({ score: +d.score.toFixed(4), box: d.box })))}`,
  );
  await detector.release();
}

// ---- latency / throughput per model × provider × batch ----------------------------------------------------------
const plan = {
  cuda: {
    blazeface: [1],
    'blazeface-batched': [1, 8, 16, 32],
    'blazeface-batched-u8': [1, 8, 16, 32],
    yolo: args.quick ? [1, 8] : [1, 2, 4, 8, 16, 32],
  },
  cpu: { blazeface: [1], 'blazeface-batched': [1, 8], 'blazeface-batched-u8': [1, 8], yolo: [1, 8] },
};
for (const provider of args.providers.split(',')) {
  for (const [name, manifest] of Object.entries(models)) {
    const detector = await Detector.create({ manifest, provider, ...threads });
    for (const batch of plan[provider][name]) {
      const frames = Array.from({ length: batch }, () => frameOf(manifest.input.width));
      const heavy = provider === 'cpu' && name === 'yolo';
      const runs = heavy ? 20 : args.quick ? 100 : 300;
      const r = await timeRuns(detector, frames, runs, heavy ? 3 : 30);
      result.rows.push({ model: manifest.id, provider: detector.provider, batch, ...r, perFrameMs: r.median / batch });
      const us = Object.entries(r.stageUsPerFrame)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ');
      log(
        `${manifest.id} ${detector.provider} batch ${batch}: median ${r.median.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.fps.toFixed(0)} frames/s, CPU ${r.cpuMsPerFrame.toFixed(2)} ms/frame, GPU ${r.gpuUtil.toFixed(0)} %; µs/frame: ${us}`,
      );
    }
    await detector.release();
  }
}

// ---- concurrent sessions: one frame per session per step, batched across sessions (what the service does) -------
if (args.providers.includes('cuda')) {
  for (const manifest of Object.values(models)) {
    const detector = await Detector.create({ manifest, provider: 'cuda', ...threads });
    log(`${manifest.id}: warm-up of every batch shape ${(await detector.warmUp(32)).toFixed(0)} ms`);
    for (const sessions of [1, 2, 4, 8, 16, 32]) {
      const frames = Array.from({ length: sessions }, () => frameOf(manifest.input.width));
      const r = await timeRuns(detector, frames, args.quick ? 50 : 200, 20);
      result.sessions.push({ model: manifest.id, sessions, batchPerStep: Math.min(sessions, detector.maxBatch), ...r });
      log(
        `${manifest.id} ${sessions} sessions: step median ${r.median.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.fps.toFixed(0)} frames/s, CPU ${r.cpuMsPerFrame.toFixed(2)} ms/frame, GPU ${r.gpuUtil.toFixed(0)} %`,
      );
    }
    await detector.release();
  }
}
writeFileSync(args.out ?? join(dir, 'results.json'), JSON.stringify(result, null, 2));
log('done');
