/**
 * YOLO decoding end to end on a real ONNX graph run by the real ONNX Runtime: the generated model reshapes the
 * NCHW input into the Ultralytics output `[batch, 4 + classes, boxes]` and scales the box rows back to 0..255,
 * so a test writes the output it wants into the frame's pixel bytes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeLetterbox, type SightlineError } from '@sightline/contracts';
import { buildOnnxModel, type Dim } from '../../test-support/onnx-model.js';
import { Detector, loadManifestFile, type InputFrame, type ModelManifest } from '../index.js';

const SIZE = 256;
const LABELS = ['person', 'car'];
const ROWS = 4 + LABELS.length;
const BOXES = (3 * SIZE * SIZE) / ROWS;
const PLANE = SIZE * SIZE;

function yoloLikeModel(batch: Dim): Uint8Array {
  return buildOnnxModel({
    inputs: { images: [batch, 3, SIZE, SIZE] },
    outputs: { output0: [batch, ROWS, BOXES] },
    nodes: [
      { op: 'Reshape', inputs: ['images', 'rows_shape'], outputs: ['rows'] },
      { op: 'Mul', inputs: ['rows', 'row_scale'], outputs: ['output0'] },
    ],
    // Reshape: 0 keeps the batch dimension. Mul: box rows back to 0..255 pixels, class scores stay in [0,1].
    int64Constants: { rows_shape: { dims: [3], values: [0, ROWS, BOXES] } },
    floatConstants: { row_scale: { dims: [1, ROWS, 1], values: [255, 255, 255, 255, 1, 1] } },
  });
}

interface FakeBox {
  index: number;
  cx: number;
  cy: number;
  w: number;
  h: number;
  scores: number[];
}

/** The source is 1024x512: letterboxed to 256x256 with scale 0.25 and 64 px bands above and below. */
const SOURCE = { width: 1024, height: 512 };
const plan = computeLetterbox(SOURCE, { width: SIZE, height: SIZE });

/** rgb24 frame whose packed NCHW tensor, reshaped, is an output holding `boxes` (all other scores 0). */
function frameWithOutput(boxes: FakeBox[]): InputFrame {
  const pixels = new Uint8Array(PLANE * 3);
  const put = (row: number, box: number, byte: number) => {
    const flat = row * BOXES + box; // index in the reshaped output = index in the NCHW input
    pixels[(flat % PLANE) * 3 + Math.floor(flat / PLANE)] = byte;
  };
  for (const b of boxes) {
    [b.cx, b.cy, b.w, b.h].forEach((value, row) => put(row, b.index, value));
    b.scores.forEach((score, c) => put(4 + c, b.index, Math.round(score * 255)));
  }
  return {
    pixels,
    meta: {
      source: SOURCE,
      frame: { width: SIZE, height: SIZE, pixelFormat: 'rgb24' },
      letterbox: { scale: plan.scale, padX: plan.padX, padY: plan.padY },
    },
  };
}

describe('YOLO decoder on a generated ONNX model', () => {
  let folder: string;
  let manifest: ModelManifest;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vision-yolo-'));
    await writeFile(join(folder, 'dynamic.onnx'), yoloLikeModel('batch'));
    await writeFile(join(folder, 'fixed2.onnx'), yoloLikeModel(2));
    await writeFile(join(folder, 'labels.txt'), `${LABELS.join('\n')}\n`);
    await writeFile(
      join(folder, 'model.json'),
      JSON.stringify({
        id: 'yolo-test',
        file: 'dynamic.onnx',
        input: { name: 'images', width: SIZE, height: SIZE },
        decoder: { kind: 'yolo' },
        labelsFile: 'labels.txt',
        scoreThreshold: 0.5,
        maxBatch: 4,
      }),
    );
    manifest = await loadManifestFile(join(folder, 'model.json'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  async function withDetector<T>(overrides: Partial<ModelManifest>, use: (d: Detector) => Promise<T>): Promise<T> {
    const detector = await Detector.create({ manifest: { ...manifest, ...overrides }, provider: 'cpu' });
    try {
      return await use(detector);
    } finally {
      await detector.release();
    }
  }

  it('decodes boxes and labels, suppresses per class and maps to source pixels', async () => {
    const frame = frameWithOutput([
      { index: 10, cx: 100, cy: 100, w: 40, h: 60, scores: [0.9, 0.1] },
      // Overlaps the first person (IoU ≈ 0.8): suppressed.
      { index: 20, cx: 104, cy: 102, w: 40, h: 60, scores: [0.8, 0] },
      // Same place, other class: kept (class-wise NMS).
      { index: 30, cx: 100, cy: 100, w: 40, h: 60, scores: [0, 0.7] },
      { index: 40, cx: 200, cy: 150, w: 20, h: 20, scores: [0.6, 0] },
      // Under the score threshold.
      { index: 50, cx: 50, cy: 100, w: 20, h: 20, scores: [0.3, 0.2] },
      // Entirely in the letterbox band above the picture: dropped.
      { index: 60, cx: 100, cy: 30, w: 20, h: 20, scores: [0.95, 0] },
    ]);
    const [result] = await withDetector({}, (d) => d.detect([frame]));
    const rounded = result.detections.map((d) => ({
      label: d.label,
      score: Number(d.score.toFixed(2)),
      box: { x: Math.round(d.box.x), y: Math.round(d.box.y), w: Math.round(d.box.w), h: Math.round(d.box.h) },
    }));
    // Source = (model - pad) / 0.25 with padY = 64.
    expect(rounded).toEqual([
      { label: 'person', score: 0.9, box: { x: 320, y: 24, w: 160, h: 240 } },
      { label: 'car', score: 0.7, box: { x: 320, y: 24, w: 160, h: 240 } },
      { label: 'person', score: 0.6, box: { x: 760, y: 304, w: 80, h: 80 } },
    ]);
    expect(result.detections[0].keypoints).toBeUndefined();
  });

  it('batches frames when the batch dimension is dynamic, each frame decoded from its own slot', async () => {
    const frames = [0, 1, 2, 3, 4].map((k) =>
      frameWithOutput([{ index: 100 + k, cx: 40 + 30 * k, cy: 128, w: 20, h: 20, scores: [0.9, 0] }]),
    );
    const results = await withDetector({}, async (d) => {
      expect(d.maxBatch).toBe(4);
      return d.detect(frames);
    });
    expect(results.map((r) => r.batchSize)).toEqual([4, 4, 4, 4, 1]);
    // Model x0 = cx - 10 = 30 + 30k; source x = x0 / 0.25.
    const expectedX = [0, 1, 2, 3, 4].map((k) => (30 + 30 * k) * 4);
    expect(results.map((r) => Math.round(r.detections[0].box.x))).toEqual(expectedX);
  });

  it('pads the last run of a model with a fixed batch of 2', async () => {
    const frames = [0, 1, 2].map((k) => frameWithOutput([{ index: k, cx: 60 + 50 * k, cy: 128, w: 20, h: 20, scores: [0, 0.9] }]));
    const results = await withDetector({ file: join(folder, 'fixed2.onnx') }, async (d) => {
      expect(d.maxBatch).toBe(2);
      return d.detect(frames);
    });
    expect(results.map((r) => r.batchSize)).toEqual([2, 2, 1]);
    expect(results.map((r) => r.detections.map((x) => [x.label, Math.round(x.box.x)]))).toEqual([
      [['car', 200]],
      [['car', 400]],
      [['car', 600]],
    ]);
  });

  it('refuses a manifest whose labels do not match the model’s classes', async () => {
    const error = await Detector.create({ manifest: { ...manifest, labels: ['a', 'b', 'c'] }, provider: 'cpu' }).catch(
      (e: SightlineError) => e,
    );
    expect(error).toMatchObject({ code: 'MODEL_OUTPUT_MISMATCH' });
  });

  it('refuses a manifest whose input size or name does not match the model', async () => {
    for (const input of [
      { ...manifest.input, width: 320 },
      { ...manifest.input, name: 'pixels' },
    ]) {
      const error = await Detector.create({ manifest: { ...manifest, input }, provider: 'cpu' }).catch((e: SightlineError) => e);
      expect(error).toMatchObject({ code: 'MODEL_INPUT_MISMATCH' });
    }
  });
});
