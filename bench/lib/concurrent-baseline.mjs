// The concurrent bare baseline: FFmpeg decoding + letterboxing the clip, the ORT loop, and NATS JetStream publishing
// and consuming frame-sized messages, each as its own process, all at once for the same wall time — what the
// hardware does when the three jobs of the pipeline share its cores, with nothing of ours in between.
// CPU per frame = the sum of each tool's CPU per frame of its own (nats-server counted with NATS), each measured
// while the other two load the cores. Throughput = the slowest of the three while all ran (the model, in practice):
// a pipeline of them could go no faster on the box as it is at that moment, other tenants' load included. Beside it,
// the rate the cores would carry at the summed cost if they were ours alone (cores × 1000 ÷ CPU ms per frame).
import { cpus } from 'node:os';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { letterboxFilter } from '@sightline/video';
import { treeUsage } from './proc-stats.mjs';

const workerScript = fileURLToPath(new URL('./bare-worker.mjs', import.meta.url));

function startWorker(kind, options) {
  const child = spawn(process.execPath, [workerScript, kind, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let onReady;
  const ready = new Promise((resolve) => (onReady = resolve));
  const result = new Promise((resolve, reject) => {
    lines.on('line', (line) => (line === 'ready' ? onReady() : line.startsWith('{') && resolve(JSON.parse(line))));
    child.on('exit', (code) => code !== 0 && reject(new Error(`bare ${kind} worker exited with ${code}`)));
  });
  return { child, ready, result, go: () => child.stdin.write('go\n') };
}

/** FFmpeg decoding the looped clip as fast as it can; frames counted from its progress output. */
function startDecoder({ ffmpeg, clip, frame }) {
  const filter = letterboxFilter({ ...frame, pixelFormat: 'rgb24' });
  const child = spawn(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-nostats',
      '-stream_loop',
      '-1',
      '-i',
      `file:${clip}`,
      '-map',
      '0:v:0',
      '-an',
      '-vsync',
      '0',
      '-vf',
      filter,
      '-f',
      'rawvideo',
      '-y',
      '/dev/null',
      '-progress',
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let frames = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = /^frame=(\d+)/.exec(line);
    if (m) frames = Number(m[1]);
  });
  return { child, frames: () => frames };
}

/**
 * @param {{ ffmpeg: string, clip: string, frame: {width:number,height:number}, rawFrames: string, modelId: string,
 *   provider: string, natsUrl: string, natsPid: number, seconds: number }} o
 */
export async function bareConcurrent(o) {
  const frameBytes = o.frame.width * o.frame.height * 3;
  const inference = startWorker('inference', {
    rawFrames: o.rawFrames,
    frame: o.frame,
    modelId: o.modelId,
    provider: o.provider,
    tuned: true,
    durationSeconds: o.seconds,
  });
  const nats = startWorker('nats', { natsUrl: o.natsUrl, frameBytes, durationSeconds: o.seconds });
  await Promise.all([inference.ready, nats.ready]);
  const decoder = startDecoder(o);
  // Let FFmpeg get past its start-up before the window opens.
  await new Promise((r) => setTimeout(r, 500));
  const decodeStart = { frames: decoder.frames(), cpu: treeUsage(decoder.child.pid).cpuSeconds, at: performance.now() };
  const natsServerStart = treeUsage(o.natsPid).cpuSeconds;
  inference.go();
  nats.go();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const decodeEnd = { frames: decoder.frames(), cpu: treeUsage(decoder.child.pid).cpuSeconds, at: performance.now() };
  decoder.child.kill('SIGTERM');
  const [inferenceResult, natsResult] = await Promise.all([inference.result, nats.result]);
  const natsServerCpu = treeUsage(o.natsPid).cpuSeconds - natsServerStart;

  const decodeFrames = decodeEnd.frames - decodeStart.frames;
  const decodeSeconds = (decodeEnd.at - decodeStart.at) / 1000;
  const decode = {
    name: 'FFmpeg decode + letterbox',
    frames: decodeFrames,
    seconds: decodeSeconds,
    fps: decodeFrames / decodeSeconds,
    cpuMsPerFrame: (1000 * (decodeEnd.cpu - decodeStart.cpu)) / decodeFrames,
  };
  const natsCpuMs = natsResult.cpuMsPerFrame * natsResult.frames + 1000 * natsServerCpu;
  const natsWhole = { ...natsResult, name: `${natsResult.name}, nats-server included`, cpuMsPerFrame: natsCpuMs / natsResult.frames };
  const parts = [decode, inferenceResult, natsWhole];
  const cpuMsPerFrame = parts.reduce((a, p) => a + p.cpuMsPerFrame, 0);
  return {
    name: 'bare concurrent: decode ‖ ORT ‖ JetStream (separate processes, same time)',
    parts,
    seconds: o.seconds,
    fps: Math.min(...parts.map((p) => p.fps)),
    coresBoundFps: (cpus().length * 1000) / cpuMsPerFrame,
    cpuMsPerFrame,
  };
}
