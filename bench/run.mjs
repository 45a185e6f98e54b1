#!/usr/bin/env node
// Sightline benchmark: N sessions of a 1080p clip (60 fps, or --fps 100 for requirements §12.2) through the real
// fleet, paced (live) and unpaced (max throughput), and — in the same run — the bare tools it is built from. Prints one table; writes JSON.
//   npm run bench -- [--sessions 2] [--seconds 20] [--warmup 5] [--modes live,fast] [--provider auto|cpu|cuda]
//                    [--no-postgres] [--clip-seconds 10] [--fps 60 (the clip's frame rate, e.g. 100)] [--inference-replicas 1] [--skip-baselines]
//                    [--bundles DIR (services as single-file bundles, e.g. on the GPU host)] [--json FILE]
//                    [--model ID (built-in model id, default the service's)] [--max-batch N (frames per run)]
//                    [--intra-op-threads N (the inference service's INFERENCE_INTRA_OP_THREADS)]
//                    [--concurrent-seconds 15 (the concurrent bare baseline's window)]
//                    [--cpu-prof DIR (V8 CPU profiles of every service, one folder each; summarise: bench/lib/profile-summary.mjs)]
//                    [--inference-env KEY=VALUE (repeatable: more environment of the inference service, e.g.
//                     INFERENCE_ALLOW_SPINNING=true or NODE_OPTIONS=--max-semi-space-size=16)]
//                    [--persistence-env KEY=VALUE (repeatable, e.g. PERSIST_LINGER_MS=200)]
//                    [--decode-threads N (ingest's INGEST_DECODE_THREADS; 0 = FFmpeg's default)]
//                    [--max-fps N (each session's analysis-rate limit)] [--ingest-hwaccel none|cuda] [--ffmpeg PATH (ingest's FFmpeg, e.g. one built with nvdec)]
// Build first (`npm run build`). See docs/benchmarks.md for results and how to read them.
import { cpus, totalmem, hostname } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalNatsServer, ffmpegPath, makeAstronautClip, makeTempDir } from '@sightline/local-infra';
import { DEFAULT_MODEL_ID, resolveManifest } from '@sightline/vision';
import { bareDecode, bareInference, bareNats, rawFramesPath } from './lib/baselines.mjs';
import { bareConcurrent } from './lib/concurrent-baseline.mjs';
import { runPipeline } from './lib/pipeline.mjs';

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'live,fast' },
    provider: { type: 'string', default: 'auto' },
    'no-postgres': { type: 'boolean', default: false },
    'clip-seconds': { type: 'string', default: '10' },
    fps: { type: 'string', default: '60' },
    bundles: { type: 'string' },
    'inference-replicas': { type: 'string', default: '1' },
    'skip-baselines': { type: 'boolean', default: false },
    json: { type: 'string' },
    model: { type: 'string', default: DEFAULT_MODEL_ID },
    'max-batch': { type: 'string' },
    'intra-op-threads': { type: 'string' },
    'ingest-hwaccel': { type: 'string', default: 'none' },
    'decode-threads': { type: 'string' },
    'inference-env': { type: 'string', multiple: true, default: [] },
    'persistence-env': { type: 'string', multiple: true, default: [] },
    'max-fps': { type: 'string' },
    ffmpeg: { type: 'string' },
    'concurrent-seconds': { type: 'string', default: '15' },
    'cpu-prof': { type: 'string' },
  },
});

/** `KEY=VALUE` arguments as an environment (e.g. `--inference-env NODE_OPTIONS=--max-semi-space-size=16`). */
function envPairs(pairs) {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`expected KEY=VALUE, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
// Ingest letterboxes to the model's input size, as a deployment of that model must be configured.
const { width, height } = (await resolveManifest(args.model)).input;
const frame = { width, height };
const fps = Number(args.fps);
if (!(Number.isInteger(fps) && fps > 0 && fps <= 240)) throw new Error('--fps must be an integer in 1..240');
const clipSeconds = Number(args['clip-seconds']);
const dir = await makeTempDir('bench');

log(`clip: 1920x1080 @ ${fps} fps, ${clipSeconds} s (astronaut photo moving over grey)`);
const clip = await makeAstronautClip({ seconds: clipSeconds, fps });
const ffmpeg = await ffmpegPath();

const skip = (name) => ({ name: `${name} (skipped)`, frames: 0, seconds: 0, fps: NaN, cpuMsPerFrame: NaN });
let decode = skip('FFmpeg decode + letterbox (bare)');
let inference = skip('onnxruntime-node inference (bare)');
let inferenceTuned = skip('onnxruntime-node inference (bare, 1 thread)');
let natsBare = skip('NATS JetStream publish+consume (bare)');
let concurrent = { ...skip('bare concurrent'), parts: [] };
if (!args['skip-baselines']) {
  log('baseline: FFmpeg decode + letterbox');
  decode = bareDecode({ ffmpeg, clip, frame, rawOut: rawFramesPath(dir) });
  log('baseline: onnxruntime-node inference loop');
  const inferenceProvider = args.provider === 'cuda' ? 'cuda' : 'cpu';
  inference = await bareInference({ rawFrames: rawFramesPath(dir), frame, modelId: args.model, provider: inferenceProvider });
  inferenceTuned = await bareInference({
    rawFrames: rawFramesPath(dir),
    frame,
    modelId: args.model,
    provider: inferenceProvider,
    tuned: true,
  });
  log('baseline: NATS publish/consume');
  const nats = await LocalNatsServer.start({ dataDir: join(dir, 'nats') });
  natsBare = await bareNats({ natsUrl: nats.url, frameBytes: frame.width * frame.height * 3 });
  log('baseline: decode ‖ ORT ‖ JetStream, concurrently');
  concurrent = await bareConcurrent({
    ffmpeg,
    clip,
    frame,
    rawFrames: rawFramesPath(dir),
    modelId: args.model,
    provider: inferenceProvider,
    natsUrl: nats.url,
    natsPid: nats.pid,
    seconds: Number(args['concurrent-seconds']),
  });
  await nats.stop();
}

const serviceEntry = (name) => (args.bundles ? join(args.bundles, `${name}.mjs`) : join('apps', name, 'dist', 'main.js'));
const profileFlags = (name) => (args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(args['cpu-prof'], name)}`] : []);
const command =
  args.bundles || args['cpu-prof']
    ? (name) => ({ command: process.execPath, args: [...profileFlags(name), serviceEntry(name)] })
    : undefined;
const runs = [];
for (const mode of args.modes.split(',')) {
  log(`pipeline: ${args.sessions} session(s), ${mode}`);
  runs.push(
    await runPipeline({
      sessions: Number(args.sessions),
      mode,
      seconds: mode === 'live' ? Number(args.seconds) : Math.max(60, Number(args.seconds)),
      warmupSeconds: mode === 'live' ? Number(args.warmup) : 0,
      clip,
      clipFrames: clipSeconds * fps,
      clipFps: fps,
      dataDir: join(dir, `fleet-${mode}`),
      provider: args.provider,
      postgres: !args['no-postgres'],
      command,
      inferenceReplicas: Number(args['inference-replicas']),
      ...(args['max-fps'] && { maxFps: Number(args['max-fps']) }),
      ingestEnv: {
        INGEST_FRAME_WIDTH: String(width),
        INGEST_FRAME_HEIGHT: String(height),
        INGEST_HWACCEL: args['ingest-hwaccel'],
        ...(args['decode-threads'] && { INGEST_DECODE_THREADS: args['decode-threads'] }),
        ...(args.ffmpeg && { FFMPEG_PATH: args.ffmpeg }),
      },
      persistenceEnv: envPairs(args['persistence-env']),
      inferenceEnv: {
        INFERENCE_MODEL: args.model,
        ...(args['max-batch'] && { INFERENCE_MAX_BATCH: args['max-batch'] }),
        ...(args['intra-op-threads'] && { INFERENCE_INTRA_OP_THREADS: args['intra-op-threads'] }),
        ...envPairs(args['inference-env']),
      },
      log,
    }),
  );
}

// ---- report ---------------------------------------------------------------------------------------------------
const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const mb = (b) => (b / 1048576).toFixed(0);
const lines = [];
lines.push(
  `machine: ${hostname()} — ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
lines.push('');
lines.push('| run | frames | fps total | fps per session | latency p50 / p95 / p99 (ms) | CPU ms/frame | drops + skips |');
lines.push('|---|---|---|---|---|---|---|');
for (const b of [decode, inference, inferenceTuned, natsBare]) {
  const lat = b.p50 !== undefined ? `${f(b.p50, 2)} / ${f(b.p95, 2)} / ${f(b.p99, 2)}` : '-';
  lines.push(`| ${b.name} | ${b.frames} | ${f(b.fps)} | - | ${lat} | ${f(b.cpuMsPerFrame, 2)} | - |`);
}
const bareCpu = decode.cpuMsPerFrame + inference.cpuMsPerFrame;
const bareFps = 1 / (1 / decode.fps + 1 / inference.fps);
lines.push(`| bare decode + inference, ORT defaults (sum of the two) | - | ${f(bareFps)} | - | - | ${f(bareCpu, 2)} | - |`);
// The cheaper of the two inference baselines in CPU per frame: the fairest bar for the pipeline's CPU cost.
const bareCpuTuned = decode.cpuMsPerFrame + inferenceTuned.cpuMsPerFrame;
const bareFpsTuned = 1 / (1 / decode.fps + 1 / inferenceTuned.fps);
lines.push(`| bare decode + inference, 1 thread (sum of the two) | - | ${f(bareFpsTuned)} | - | - | ${f(bareCpuTuned, 2)} | - |`);
for (const b of concurrent.parts) {
  lines.push(`| ‖ ${b.name} (concurrent) | ${b.frames} | ${f(b.fps)} | - | - | ${f(b.cpuMsPerFrame, 2)} | - |`);
}
lines.push(
  `| **${concurrent.name}**: slowest tool's fps, summed CPU (all cores ours: ${f(concurrent.coresBoundFps)} fps) | - | ` +
    `${f(concurrent.fps)} | - | - | ${f(concurrent.cpuMsPerFrame, 2)} | - |`,
);
for (const r of runs) {
  lines.push(
    `| pipeline ${r.mode} × ${r.sessions} (capture → WebSocket) | ${r.frames} | ${f(r.fpsTotal)} | ${r.fpsPerSession.map((v) => f(v)).join(', ')} | ` +
      `${f(r.latency.p50)} / ${f(r.latency.p95)} / ${f(r.latency.p99)} | ${f(r.cpuMsPerFrame, 2)} | ${r.dropped} + ${r.skipped} |`,
  );
}
lines.push('');
const stageNames = ['decodeMs', 'queueMs', 'preprocessMs', 'inferenceMs', 'postprocessMs', 'totalMs'];
lines.push(
  '| run | ' + ['decode', 'queue', 'preprocess', 'inference', 'postprocess', 'total'].map((s) => `${s} p50 / p99 ms`).join(' | ') + ' |',
);
lines.push('|---|---|---|---|---|---|---|');
for (const r of runs) {
  lines.push(`| ${r.mode} × ${r.sessions} | ${stageNames.map((n) => `${f(r.stageMedians[n], 1)} / ${f(r.stageP99[n], 1)}`).join(' | ')} |`);
}
lines.push('');
lines.push(
  '| run | ' +
    Object.keys(runs[0]?.usage ?? {})
      .map((n) => `${n} CPU % / RSS MB`)
      .join(' | ') +
    ' |',
);
lines.push(
  '|---|' +
    Object.keys(runs[0]?.usage ?? {})
      .map(() => '---|')
      .join(''),
);
for (const r of runs)
  lines.push(
    `| ${r.mode} × ${r.sessions} | ${Object.values(r.usage)
      .map((u) => `${f(u.cpuPercent, 0)} / ${mb(u.peakRssBytes)}`)
      .join(' | ')} |`,
  );
lines.push('');
for (const r of runs) {
  if (r.postgresCpuMsPerFrame !== undefined) {
    lines.push(`PostgreSQL ${r.mode}: ${f(r.postgresCpuMsPerFrame, 2)} ms CPU per frame (not in the pipeline's CPU per frame above)`);
  }
  if (r.rowsStored !== undefined)
    lines.push(`stored ${r.mode}: ${r.rowsStored} rows in analysis_results for ${r.resultsPublished} results published (whole run)`);
}
for (const r of runs) {
  lines.push(
    `ratio ${r.mode}: pipeline CPU per frame ÷ bare decode+inference CPU per frame = ${f(r.cpuMsPerFrame / bareCpu, 2)} ` +
      `(ORT defaults), ${f(r.cpuMsPerFrame / bareCpuTuned, 2)} (1 thread); pipeline fps ÷ bare fps = ` +
      `${f(r.fpsTotal / bareFps, 2)} (ORT defaults), ${f(r.fpsTotal / bareFpsTuned, 2)} (1 thread)`,
  );
  lines.push(
    `ratio ${r.mode} vs the concurrent bare baseline: CPU per frame ${f(r.cpuMsPerFrame / concurrent.cpuMsPerFrame, 2)} × ` +
      `(vs the sequential sum, 1 thread: ${f(r.cpuMsPerFrame / bareCpuTuned, 2)} ×); fps ${f(r.fpsTotal / concurrent.fps, 2)} × ` +
      `(vs the sequential sum: ${f(r.fpsTotal / bareFpsTuned, 2)} ×)`,
  );
}
process.stdout.write(lines.join('\n') + '\n');
const results = { at: new Date().toISOString(), args, baselines: { decode, inference, inferenceTuned, nats: natsBare, concurrent }, runs };
const out = args.json ?? join('bench', 'results', `bench-${Date.now()}.json`);
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, JSON.stringify(results, null, 2));
log(`results written to ${out}`);
