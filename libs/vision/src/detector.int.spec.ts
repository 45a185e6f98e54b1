/**
 * The shipped BlazeFace models on a real photo, through real FFmpeg letterboxing and the real ONNX Runtime (CPU).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detection } from '@sightline/contracts';
import { ASTRONAUT_PNG, letterboxedFrame, uniformFrame } from '../test-support/frames.js';
import { Detector, builtinManifest, type VisionLogger } from './index.js';

/** The face in the 512x512 photo, as fractions of the image (the acceptance box the detector tests hold it to). */
const FACE = { x: [0.33, 0.53], y: [0.12, 0.33] };
const PHOTO = 512;
const MODEL_SIZE = { width: 256, height: 256 };

function expectFaceAt(box: { x: number; y: number; w: number; h: number }, offsetX = 0, offsetY = 0): void {
  const [x0, x1] = FACE.x.map((f) => offsetX + f * PHOTO);
  const [y0, y1] = FACE.y.map((f) => offsetY + f * PHOTO);
  // The box lies around the face: inside the acceptance region give or take a few pixels, and covers most of it.
  const slack = 0.05 * PHOTO;
  expect(box.x).toBeGreaterThan(x0 - slack);
  expect(box.x + box.w).toBeLessThan(x1 + slack);
  expect(box.y).toBeGreaterThan(y0 - slack);
  expect(box.y + box.h).toBeLessThan(y1 + slack);
  expect(box.w).toBeGreaterThan(0.5 * (x1 - x0));
  expect(box.h).toBeGreaterThan(0.5 * (y1 - y0));
}

const describeFace = (d?: Detection) =>
  d ? `score ${d.score.toFixed(4)}, box ${[d.box.x, d.box.y, d.box.w, d.box.h].map(Math.round).join(',')}` : 'none';

describe('BlazeFace back 256 (default model) on the CPU', () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await Detector.create({ manifest: builtinManifest('blazeface-back-256'), provider: 'cpu' });
  });
  afterAll(() => detector.release());

  it('reports what it runs', () => {
    expect(detector.provider).toBe('cpu');
    expect(detector.modelId).toBe('blazeface-back-256');
    expect(detector.inputSize).toEqual(MODEL_SIZE);
    expect(detector.maxBatch).toBe(1); // the batch dimension of the model is fixed to 1
  });

  it('finds exactly the astronaut’s face, with keypoints inside the box', async () => {
    const [result] = await detector.detect([await letterboxedFrame(ASTRONAUT_PNG, MODEL_SIZE)]);
    expect(result.batchSize).toBe(1);
    expect(result.detections).toHaveLength(1);
    const [face] = result.detections;
    console.info(`astronaut 256: ${describeFace(face)}`);
    expect(face.label).toBe('face');
    expect(face.score).toBeGreaterThan(0.7);
    expectFaceAt(face.box);
    expect(face.keypoints).toHaveLength(6);
    // Eyes, nose and mouth (keypoints 0-3) lie inside the face box.
    for (const point of face.keypoints!.slice(0, 4)) {
      expect(point.x).toBeGreaterThan(face.box.x);
      expect(point.x).toBeLessThan(face.box.x + face.box.w);
      expect(point.y).toBeGreaterThan(face.box.y);
      expect(point.y).toBeLessThan(face.box.y + face.box.h);
    }
  });

  it('maps the face back to 1080p pixels when the photo sits at an offset in a 1920x1080 frame', async () => {
    const placement = { canvas: { width: 1920, height: 1080 }, x: 1200, y: 400 };
    const [result] = await detector.detect([await letterboxedFrame(ASTRONAUT_PNG, MODEL_SIZE, placement)]);
    console.info(`astronaut in 1080p: ${describeFace(result.detections[0])}`);
    expect(result.detections).toHaveLength(1);
    expect(result.detections[0].score).toBeGreaterThan(0.5);
    expectFaceAt(result.detections[0].box, placement.x, placement.y);
  });

  it('finds nothing in blank frames', async () => {
    const results = await detector.detect([0, 128, 255].map((value) => uniformFrame(MODEL_SIZE, value)));
    expect(results.map((r) => r.detections)).toEqual([[], [], []]);
    // A fixed-batch model runs one frame at a time.
    expect(results.map((r) => r.batchSize)).toEqual([1, 1, 1]);
  });

  it('serialises concurrent calls and answers each with its own frames', async () => {
    const face = await letterboxedFrame(ASTRONAUT_PNG, MODEL_SIZE);
    const blank = uniformFrame(MODEL_SIZE, 0);
    const results = await Promise.all([face, blank, face, blank].map((frame) => detector.detect([frame])));
    expect(results.map(([r]) => r.detections.length)).toEqual([1, 0, 1, 0]);
  });
});

describe('BlazeFace front 128', () => {
  it('finds the astronaut’s face, and refuses work once released', async () => {
    const detector = await Detector.create({ manifest: builtinManifest('blazeface-front-128'), provider: 'cpu' });
    const frame = await letterboxedFrame(ASTRONAUT_PNG, { width: 128, height: 128 });
    try {
      const [result] = await detector.detect([frame]);
      console.info(`astronaut 128: ${describeFace(result.detections[0])}`);
      expect(result.detections).toHaveLength(1);
      expect(result.detections[0].score).toBeGreaterThan(0.7);
      expectFaceAt(result.detections[0].box);
    } finally {
      await detector.release();
    }
    await expect(detector.detect([frame])).rejects.toMatchObject({ code: 'DETECTOR_RELEASED' });
  });
});

describe.each([
  ['blazeface-back-256', 'blazeface-back-256-batched', 256],
  ['blazeface-front-128', 'blazeface-front-128-batched', 128],
] as const)('%s with a dynamic batch (%s)', (fixedId, batchedId, size) => {
  let fixed: Detector;
  let batched: Detector;
  beforeAll(async () => {
    [fixed, batched] = await Promise.all(
      [fixedId, batchedId].map((id) => Detector.create({ manifest: builtinManifest(id), provider: 'cpu' })),
    );
  });
  afterAll(() => Promise.all([fixed.release(), batched.release()]));

  it('runs many frames in one run and finds exactly what the vendored model finds in each', async () => {
    const input = { width: size, height: size };
    const offsets = [
      { canvas: { width: 1280, height: 720 }, x: 100, y: 100 },
      { canvas: { width: 1280, height: 720 }, x: 700, y: 150 },
    ];
    const frames = [
      await letterboxedFrame(ASTRONAUT_PNG, input),
      uniformFrame(input, 0),
      ...(await Promise.all(offsets.map((placement) => letterboxedFrame(ASTRONAUT_PNG, input, placement)))),
      uniformFrame(input, 255),
    ];
    expect(batched.maxBatch).toBe(32);
    const together = await batched.detect(frames);
    expect(together.map((r) => r.batchSize)).toEqual(frames.map(() => frames.length));
    const oneByOne = await fixed.detect(frames);
    expect(oneByOne.map((r) => r.batchSize)).toEqual(frames.map(() => 1));
    // The same weights and operators per frame: equal results, not merely close ones.
    expect(together.map((r) => r.detections)).toEqual(oneByOne.map((r) => r.detections));
    expect(together[0].detections).toHaveLength(1);
    expect(together[1].detections).toHaveLength(0);
  });

  it('pads every run to its batch size when asked (as on CUDA) and still answers each frame with its own detections', async () => {
    const padded = await Detector.create({ manifest: builtinManifest(batchedId), provider: 'cpu', padBatches: true, maxBatch: 8 });
    try {
      expect(padded.maxBatch).toBe(8);
      expect(await padded.warmUp()).toBeGreaterThan(0);
      const frames = [
        await letterboxedFrame(ASTRONAUT_PNG, { width: size, height: size }),
        ...[0, 64, 128, 255].map((value) => uniformFrame({ width: size, height: size }, value)),
      ];
      const results = await padded.detect(frames); // 5 frames in a run of 8
      expect(results[0].timings.preprocessMs).toBeGreaterThan(0);
      expect(results.map((r) => r.batchSize)).toEqual([5, 5, 5, 5, 5]);
      expect(results.map((r) => r.detections)).toEqual((await fixed.detect(frames)).map((r) => r.detections));
    } finally {
      await padded.release();
    }
  });

  it('is what models/tools/dynamic_batch.py derives from the vendored model, byte for byte', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'dynamic-batch-'));
    const target = join(folder, 'derived.onnx');
    const tool = fileURLToPath(new URL('../models/tools/dynamic_batch.py', import.meta.url));
    try {
      await promisify(execFile)('/usr/bin/python3', [tool, builtinManifest(fixedId).file, target]);
      const sha256 = async (path: string) =>
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
      expect(await sha256(target)).toBe(await sha256(builtinManifest(batchedId).file));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

/** Runs a python3-onnx derivation tool on `source` and returns the derived file's SHA-256. */
async function deriveSha256(toolName: string, source: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'derive-'));
  const target = join(folder, 'derived.onnx');
  const tool = fileURLToPath(new URL(`../models/tools/${toolName}`, import.meta.url));
  try {
    await promisify(execFile)('/usr/bin/python3', [tool, source, target]);
    return createHash('sha256')
      .update(await readFile(target))
      .digest('hex');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe('BlazeFace back 256 fed uint8 (the scaling inside the graph)', () => {
  let float: Detector;
  let uint8: Detector;
  let batchedUint8: Detector;
  let frames: Awaited<ReturnType<typeof letterboxedFrame>>[];
  beforeAll(async () => {
    [float, uint8, batchedUint8] = await Promise.all(
      ['blazeface-back-256', 'blazeface-back-256-u8', 'blazeface-back-256-batched-u8'].map((id) =>
        Detector.create({ manifest: builtinManifest(id), provider: 'cpu' }),
      ),
    );
    const placements = [
      { canvas: { width: 1280, height: 720 }, x: 100, y: 100 },
      { canvas: { width: 1920, height: 1080 }, x: 700, y: 300 },
    ];
    frames = [
      await letterboxedFrame(ASTRONAUT_PNG, MODEL_SIZE),
      uniformFrame(MODEL_SIZE, 0),
      ...(await Promise.all(placements.map((placement) => letterboxedFrame(ASTRONAUT_PNG, MODEL_SIZE, placement)))),
      uniformFrame(MODEL_SIZE, 255),
    ];
  });
  afterAll(() => Promise.all([float, uint8, batchedUint8].map((d) => d.release())));

  it('finds in every frame what the float model finds (scores and boxes equal to float rounding)', async () => {
    expect(uint8.maxBatch).toBe(1);
    const expected = await float.detect(frames);
    const actual = await uint8.detect(frames);
    expect(actual.map((r) => r.detections.length)).toEqual(expected.map((r) => r.detections.length));
    expect(actual[0].detections).toHaveLength(1);
    actual.forEach((result, f) =>
      result.detections.forEach((d, i) => {
        const e = expected[f].detections[i];
        expect(d.label).toBe(e.label);
        expect(Math.abs(d.score - e.score)).toBeLessThan(1e-4);
        for (const k of ['x', 'y', 'w', 'h'] as const) expect(Math.abs(d.box[k] - e.box[k])).toBeLessThan(0.05);
      }),
    );
  });

  it('runs a batch in one run with exactly the detections of the fixed-batch uint8 model frame by frame', async () => {
    expect(batchedUint8.maxBatch).toBe(32);
    const together = await batchedUint8.detect(frames);
    expect(together.map((r) => r.batchSize)).toEqual(frames.map(() => frames.length));
    expect(together.map((r) => r.detections)).toEqual((await uint8.detect(frames)).map((r) => r.detections));
  });

  it.each([
    ['blazeface-back-256', 'blazeface-back-256-u8'],
    ['blazeface-back-256-batched', 'blazeface-back-256-batched-u8'],
  ])('%s → %s is what models/tools/uint8_input.py derives, byte for byte', async (sourceId, derivedId) => {
    const sha256 = createHash('sha256')
      .update(await readFile(builtinManifest(derivedId).file))
      .digest('hex');
    expect(await deriveSha256('uint8_input.py', builtinManifest(sourceId).file)).toBe(sha256);
  });
});

// The CUDA provider library sits next to the ORT binding only where a GPU build was installed (requirements §3.3;
// docs/benchmarks.md, "GPU").
const ortPackage = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
const ortBinaryDir = join(ortPackage, '../bin/napi-v6/linux/x64');
const cudaProviderInstalled = existsSync(join(ortBinaryDir, 'libonnxruntime_providers_cuda.so'));

describe.skipIf(cudaProviderInstalled)('CUDA requested without CUDA', () => {
  it('falls back to the CPU with one warning and still detects', async () => {
    const warnings: string[] = [];
    const logger: VisionLogger = { warn: (message) => warnings.push(message) };
    const manifest = builtinManifest('blazeface-back-256');
    const detector = await Detector.create({ manifest, provider: 'cuda', logger });
    try {
      expect(detector.provider).toBe('cpu');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/CUDA execution provider unavailable, running on CPU/);
      const [result] = await detector.detect([await letterboxedFrame(ASTRONAUT_PNG, MODEL_SIZE)]);
      expect(result.detections).toHaveLength(1);
      expect(result.detections[0].score).toBeGreaterThan(0.7);
    } finally {
      await detector.release();
    }
  });
});
