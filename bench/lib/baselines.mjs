// The bare tools the pipeline is compared with, measured in the same run on the same clip and model:
// FFmpeg decode + letterbox alone, an onnxruntime-node inference loop alone, NATS publish/consume alone.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import * as ort from 'onnxruntime-node';
import { letterboxFilter } from '@sightline/video';
import { resolveManifest } from '@sightline/vision';
import { percentile } from './proc-stats.mjs';

/** Children's user+sys CPU seconds from bash's `times` builtin (second line). */
function childCpuSeconds(timesOutput) {
  const line = timesOutput.trim().split('\n').at(-1);
  return line
    .split(/\s+/)
    .map((t) => {
      const m = /(\d+)m([\d.]+)s/.exec(t);
      return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
    })
    .reduce((a, b) => a + b, 0);
}

/** FFmpeg decodes the whole clip as fast as it can into letterboxed rgb24 frames (written to `rawOut`). */
export function bareDecode({ ffmpeg, clip, frame, rawOut }) {
  const filter = letterboxFilter({ ...frame, pixelFormat: 'rgb24' });
  const started = performance.now();
  const out = execFileSync(
    'bash',
    [
      '-c',
      `"$0" -hide_banner -loglevel error -nostdin -i "file:$1" -map 0:v:0 -an -vsync 0 -vf "$2" -f rawvideo -y "$3"; times`,
      ffmpeg,
      clip,
      filter,
      rawOut,
    ],
    { encoding: 'utf8' },
  );
  const seconds = (performance.now() - started) / 1000;
  const frames = statSync(rawOut).size / (frame.width * frame.height * 3);
  const cpuSeconds = childCpuSeconds(out);
  return { name: 'FFmpeg decode + letterbox (bare)', frames, seconds, fps: frames / seconds, cpuMsPerFrame: (1000 * cpuSeconds) / frames };
}

/**
 * onnxruntime-node alone: the same model, the frames FFmpeg produced, converted to the model's tensor, run one by one.
 * `tuned` runs it as the inference service does (one intra-op thread, no spinning); otherwise with ORT's defaults.
 */
export async function bareInference({
  rawFrames,
  frame,
  modelId,
  provider = 'cpu',
  maxFrames = 600,
  tuned = false,
  durationSeconds,
  beforeStart,
}) {
  const manifest = await resolveManifest(modelId);
  const threading = tuned ? { intraOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } } : {};
  const session = await ort.InferenceSession.create(manifest.file, { executionProviders: [provider], ...threading });
  const bytes = readFileSync(rawFrames);
  const frameBytes = frame.width * frame.height * 3;
  const count = Math.min(maxFrames, Math.floor(bytes.length / frameBytes));
  const dims = [1, frame.height, frame.width, 3];
  // A uint8 model takes the frame's bytes as they are; a float one, the bytes scaled to [-1,1] first.
  const input = new Float32Array(frameBytes);
  const floatFeeds = { [manifest.input.name]: new ort.Tensor('float32', input, dims) };
  const toFeeds =
    manifest.input.type === 'uint8'
      ? (i) => ({ [manifest.input.name]: new ort.Tensor('uint8', bytes.subarray(i * frameBytes, (i + 1) * frameBytes), dims) })
      : (i) => {
          const offset = i * frameBytes;
          for (let j = 0; j < frameBytes; j++) input[j] = bytes[offset + j] / 127.5 - 1;
          return floatFeeds;
        };
  for (let i = 0; i < 20; i++) await session.run(toFeeds(i % count));
  await beforeStart?.();
  const latencies = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  // A fixed number of frames, or (concurrent baseline) the frames in a loop for a fixed wall time.
  const until = durationSeconds === undefined ? undefined : started + durationSeconds * 1000;
  let frames = 0;
  for (; until === undefined ? frames < count : performance.now() < until; frames++) {
    const t0 = performance.now();
    await session.run(toFeeds(frames % count));
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await session.release();
  return {
    name: `onnxruntime-node ${modelId} (bare, ${provider}, ${tuned ? '1 thread, no spinning' : 'ORT defaults'})`,
    frames,
    seconds,
    fps: frames / seconds,
    cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / frames,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

/** NATS alone: JetStream publish (acked) and consume of frame-sized messages through a memory work-queue stream. */
export async function bareNats({ natsUrl, frameBytes, messages = 2000, durationSeconds, beforeStart }) {
  const nc = await connect({ servers: natsUrl });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const stream = 'BENCH_BARE';
  await jsm.streams.add({ name: stream, subjects: ['bench.bare'], storage: 'memory', retention: 'workqueue', max_msg_size: 8 << 20 });
  await jsm.consumers.add(stream, { durable_name: 'bare', ack_policy: 'explicit' });
  const payload = new Uint8Array(frameBytes);
  const consumer = await js.consumers.get(stream, 'bare');
  await beforeStart?.();
  const latencies = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  // A fixed number of messages, or (concurrent baseline) as many as fit in a fixed wall time.
  const until = durationSeconds === undefined ? undefined : started + durationSeconds * 1000;
  let published = 0;
  let publishing = true;
  let n = 0;
  let closeIterator;
  const received = (async () => {
    const it = await consumer.consume({ max_messages: 64 });
    closeIterator = () => void it.close();
    // Close from inside the loop and let the iterator end (breaking out first hangs close() on nats-server 2.9).
    for await (const m of it) {
      latencies.push(performance.now() - Number(m.headers?.get('t')));
      m.ack();
      if (++n === published && !publishing) void it.close();
    }
  })();
  const { headers } = await import('nats');
  while (until === undefined ? published < messages : performance.now() < until) {
    const h = headers();
    h.set('t', String(performance.now()));
    await js.publish('bench.bare', payload, { headers: h });
    published++;
  }
  publishing = false;
  if (n === published) closeIterator?.();
  await received;
  messages = published;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await jsm.streams.delete(stream);
  await nc.drain();
  return {
    name: `NATS JetStream publish+consume ${Math.round(frameBytes / 1024)} KiB (bare)`,
    frames: messages,
    seconds,
    fps: messages / seconds,
    cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / messages,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

export const rawFramesPath = (dir) => join(dir, 'frames.rgb24');
