/**
 * Model manifests: what the detector must know about an ONNX model that the model file does not say reliably
 * (pixel range, channel order, how to decode the outputs, labels, thresholds).
 * Built-in manifests cover the shipped BlazeFace models; users describe their own (YOLO) models in a JSON file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SightlineError } from '@sightline/contracts';
import { z } from 'zod';
import { errorMessage } from './errors.js';
import { VisionErrorCode } from './errors.js';

export const TENSOR_LAYOUTS = ['NHWC', 'NCHW'] as const;
export type TensorLayout = (typeof TENSOR_LAYOUTS)[number];
/** Float range the model expects for 8-bit pixel values 0..255. */
export const PIXEL_RANGES = ['[-1,1]', '[0,1]', '[0,255]'] as const;
export type PixelRange = (typeof PIXEL_RANGES)[number];
export const CHANNEL_ORDERS = ['rgb', 'bgr'] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];
export const NMS_MODES = ['standard', 'weighted'] as const;
export type NmsMode = (typeof NMS_MODES)[number];

/** Element type of the model's input: float (scaled to `range` in JavaScript) or the frame's own bytes (0-255). */
export const INPUT_TYPES = ['float32', 'uint8'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export interface ModelInputSpec {
  name: string;
  width: number;
  height: number;
  layout: TensorLayout;
  /** Of a float32 input; a uint8 input takes the bytes as they are (the model scales them itself). */
  range: PixelRange;
  channelOrder: ChannelOrder;
  /** float32 when omitted. */
  type?: InputType;
}

/** MediaPipe-style SSD face detector: per-anchor score logits and box + keypoint regressors. */
export interface BlazeFaceDecoderSpec {
  kind: 'blazeface';
  /** Score-logit and regressor outputs, paired, in anchor order (finest grid first). */
  outputs: { scores: string[]; regressors: string[] };
  /** One stride per anchor layer (MediaPipe SsdAnchorsCalculator); layers with equal stride share one grid. */
  anchorStrides: number[];
}

/** Ultralytics export (YOLOv8/YOLO11): one output `[batch, 4 + classes, boxes]` of cx, cy, w, h, class scores. */
export interface YoloDecoderSpec {
  kind: 'yolo';
  /** Output name; the model's first output when omitted. */
  output?: string;
}

export type DecoderSpec = BlazeFaceDecoderSpec | YoloDecoderSpec;

export interface ModelManifest {
  id: string;
  /** Absolute path of the ONNX file. */
  file: string;
  input: ModelInputSpec;
  decoder: DecoderSpec;
  /** Class index → label. */
  labels: string[];
  scoreThreshold: number;
  nms: { mode: NmsMode; iouThreshold: number };
  maxDetections: number;
  /** Largest batch per run when the batch dimension is dynamic. */
  maxBatch: number;
  /** Only needed when the model's input metadata does not tell (the session's metadata wins otherwise). */
  dynamicBatch?: boolean;
}

/** BlazeFace back 256 fed the frame's bytes: what `blazeface-back-256` finds, without converting pixels in JavaScript. */
export const DEFAULT_MODEL_ID = 'blazeface-back-256-u8';

// `../models` holds the vendored ONNX files; this module sits directly in src/ (vitest) or dist/ (node), so the
// relative URL works from both.
const modelFile = (name: string): string => fileURLToPath(new URL(`../models/${name}`, import.meta.url));

/** Output names of keijiro's Barracuda conversion (tf2onnx); 16x16 grid first, then 8x8 (checked in the tests). */
const BLAZEFACE_OUTPUTS = { scores: ['Identity:0', 'Identity_1:0'], regressors: ['Identity_2:0', 'Identity_3:0'] };

/**
 * A shipped BlazeFace model; `batched` is its dynamic-batch derivative (models/tools/dynamic_batch.py), `uint8` the
 * derivative that takes the frame's bytes and scales them inside the graph (models/tools/uint8_input.py).
 */
function blazeFaceManifest(
  id: string,
  file: string,
  size: number,
  anchorStrides: number[],
  scoreThreshold: number,
  batched = false,
  uint8 = false,
) {
  return {
    id,
    file: modelFile(file),
    // MediaPipe feeds BlazeFace RGB scaled to [-1,1]; the graph starts with a plain Transpose + Conv (no scaling).
    input: {
      name: 'input:0',
      width: size,
      height: size,
      layout: 'NHWC',
      range: '[-1,1]',
      channelOrder: 'rgb',
      ...(uint8 && { type: 'uint8' as const }),
    },
    decoder: { kind: 'blazeface', outputs: BLAZEFACE_OUTPUTS, anchorStrides },
    labels: ['face'],
    scoreThreshold,
    // MediaPipe's face detection graphs: weighted NMS, IoU 0.3.
    nms: { mode: 'weighted', iouThreshold: 0.3 },
    maxDetections: 100,
    maxBatch: batched ? 32 : 1,
  } satisfies ModelManifest;
}

const BUILTIN_MANIFESTS: Record<string, ModelManifest> = {
  // MediaPipe face_detection_back: 256x256, 16x16x2 + 8x8x6 = 896 anchors.
  'blazeface-back-256': blazeFaceManifest(
    'blazeface-back-256',
    'blazeface/face_detection_back_256x256_barracuda.onnx',
    256,
    [16, 32, 32, 32],
    0.6,
  ),
  // MediaPipe face_detection_front (short range): 128x128, 16x16x2 + 8x8x6 = 896 anchors.
  'blazeface-front-128': blazeFaceManifest(
    'blazeface-front-128',
    'blazeface/face_detection_front_128x128_barracuda.onnx',
    128,
    [8, 16, 16, 16],
    0.5,
  ),
  // The same two models with a dynamic batch dimension: one run serves frames of many sessions. Outputs are equal
  // frame for frame (tests); on a GPU a run of N frames costs little more than a run of one, on a CPU it costs N.
  'blazeface-back-256-batched': blazeFaceManifest(
    'blazeface-back-256-batched',
    'blazeface/face_detection_back_256x256_batched.onnx',
    256,
    [16, 32, 32, 32],
    0.6,
    true,
  ),
  'blazeface-front-128-batched': blazeFaceManifest(
    'blazeface-front-128-batched',
    'blazeface/face_detection_front_128x128_batched.onnx',
    128,
    [8, 16, 16, 16],
    0.5,
    true,
  ),
  // Back 256 and its dynamic-batch twin taking uint8 RGB: the [-1,1] scaling runs in the graph (on the GPU there),
  // and a frame's bytes are the input tensor as they arrive (docs/benchmarks.md).
  'blazeface-back-256-u8': blazeFaceManifest(
    'blazeface-back-256-u8',
    'blazeface/face_detection_back_256x256_u8.onnx',
    256,
    [16, 32, 32, 32],
    0.6,
    false,
    true,
  ),
  'blazeface-back-256-batched-u8': blazeFaceManifest(
    'blazeface-back-256-batched-u8',
    'blazeface/face_detection_back_256x256_batched_u8.onnx',
    256,
    [16, 32, 32, 32],
    0.6,
    true,
    true,
  ),
};

export const BUILTIN_MODEL_IDS = Object.keys(BUILTIN_MANIFESTS);

export function builtinManifest(id: string): ModelManifest {
  if (!Object.hasOwn(BUILTIN_MANIFESTS, id)) {
    throw new SightlineError(VisionErrorCode.modelUnknown, `no built-in model "${id}"`, { id, builtin: BUILTIN_MODEL_IDS });
  }
  return structuredClone(BUILTIN_MANIFESTS[id]);
}

/** A configured model reference: a built-in id, or the path of a JSON manifest file. */
export function resolveManifest(ref: string = DEFAULT_MODEL_ID): Promise<ModelManifest> {
  return Object.hasOwn(BUILTIN_MANIFESTS, ref) ? Promise.resolve(builtinManifest(ref)) : loadManifestFile(ref);
}

const manifestFileSchema = z
  .object({
    id: z.string().min(1),
    /** Relative paths are relative to the manifest file. */
    file: z.string().min(1),
    input: z.object({
      name: z.string().min(1),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      // Defaults are the Ultralytics export's conventions.
      layout: z.enum(TENSOR_LAYOUTS).default('NCHW'),
      range: z.enum(PIXEL_RANGES).default('[0,1]'),
      channelOrder: z.enum(CHANNEL_ORDERS).default('rgb'),
      type: z.enum(INPUT_TYPES).default('float32'),
    }),
    decoder: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('blazeface'),
        outputs: z.object({ scores: z.array(z.string()).min(1), regressors: z.array(z.string()).min(1) }),
        anchorStrides: z.array(z.number().int().positive()).min(1),
      }),
      z.object({ kind: z.literal('yolo'), output: z.string().min(1).optional() }),
    ]),
    labels: z.array(z.string().min(1)).min(1).optional(),
    /** One label per line (e.g. coco.names); relative to the manifest file. */
    labelsFile: z.string().min(1).optional(),
    scoreThreshold: z.number().min(0).max(1).default(0.25),
    nms: z
      .object({ mode: z.enum(NMS_MODES).default('standard'), iouThreshold: z.number().min(0).max(1).default(0.45) })
      .default({ mode: 'standard', iouThreshold: 0.45 }),
    maxDetections: z.number().int().positive().default(100),
    maxBatch: z.number().int().positive().default(8),
    dynamicBatch: z.boolean().optional(),
  })
  .strict()
  .refine((m) => (m.labels === undefined) !== (m.labelsFile === undefined), 'give exactly one of labels, labelsFile');

/** Loads and validates a JSON manifest; relative `file` and `labelsFile` paths resolve against its folder. */
export async function loadManifestFile(path: string): Promise<ModelManifest> {
  const manifestPath = resolve(path);
  const fail = (reason: string, cause?: unknown): never => {
    const message = `model manifest ${manifestPath}: ${reason}`;
    throw new SightlineError(VisionErrorCode.manifestInvalid, message, { path: manifestPath }, { cause });
  };
  let json: unknown;
  try {
    json = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    return fail(errorMessage(error), error);
  }
  const parsed = manifestFileSchema.safeParse(json);
  if (!parsed.success) {
    return fail(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const { labelsFile, labels, ...rest } = parsed.data;
  const folder = dirname(manifestPath);
  let resolvedLabels = labels ?? [];
  if (labelsFile !== undefined) {
    try {
      resolvedLabels = (await readFile(resolve(folder, labelsFile), 'utf8'))
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean);
    } catch (error) {
      return fail(`labels file: ${errorMessage(error)}`, error);
    }
    if (resolvedLabels.length === 0) return fail(`labels file ${labelsFile} is empty`);
  }
  return { ...rest, file: resolve(folder, rest.file), labels: resolvedLabels };
}
