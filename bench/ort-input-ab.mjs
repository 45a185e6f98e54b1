#!/usr/bin/env node
// The model stage of the inference service on the CPU, A/B on the same box in interleaved rounds (so that other
// load on a shared machine hits every variant alike): BlazeFace back 256 fed floats packed in JavaScript (the
// service's InputTensorPacker, as before) against the uint8 derivative fed the frame's bytes, one frame per run and
// in batches, through the service's own Detector (packing, ORT, decoding, NMS). 1 intra-op thread, no spinning.
//   node bench/ort-input-ab.mjs [--rounds 8] [--frames 24]
import { parseArgs } from 'node:util';
import { Detector, builtinManifest } from '@sightline/vision';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, frames: { type: 'string', default: '24' } } });
const size = 256;
const frame = (seed) => ({
  pixels: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 7919 + seed) % 251),
  meta: {
    frame: { width: size, height: size, pixelFormat: 'rgb24' },
    letterbox: { scale: 1, padX: 0, padY: 0 },
    source: { width: size, height: size },
  },
});
const frames = Array.from({ length: 4 }, (_, i) => frame(i));
const variant = async (id, batch) => ({
  name: `${id}, ${batch} frame(s) per run`,
  batch,
  detector: await Detector.create({ manifest: builtinManifest(id), provider: 'cpu', intraOpThreads: 1 }),
});
const variants = [
  await variant('blazeface-back-256', 1),
  await variant('blazeface-back-256-u8', 1),
  await variant('blazeface-back-256-batched', 4),
  await variant('blazeface-back-256-batched-u8', 4),
];
const totals = new Map(variants.map((v) => [v, { cpuMs: 0, frames: 0, pack: [] }]));
for (const v of variants) for (let i = 0; i < 5; i++) await v.detector.detect(frames.slice(0, v.batch));
for (let round = 0; round < Number(args.rounds); round++) {
  for (const v of variants) {
    const t = totals.get(v);
    const before = process.cpuUsage();
    for (let done = 0; done < Number(args.frames); done += v.batch) {
      const [first] = await v.detector.detect(frames.slice(0, v.batch));
      t.pack.push((1000 * first.timings.preprocessMs) / v.batch);
    }
    const used = process.cpuUsage(before);
    t.cpuMs += (used.user + used.system) / 1000;
    t.frames += Number(args.frames);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| variant | CPU ms per frame (whole detect) | packing µs per frame (median) |\n|---|---|---|');
for (const v of variants) {
  const t = totals.get(v);
  console.log(`| ${v.name} | ${(t.cpuMs / t.frames).toFixed(2)} | ${median(t.pack).toFixed(0)} |`);
  await v.detector.release();
}
