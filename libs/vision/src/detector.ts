/**
 * The detector: letterboxed frames in, detections in source-frame pixels out.
 * Runs on one ORT session are serialised (the input buffers are reused between runs), so `detect` may be called
 * concurrently; calls are served in order. Frames beyond `maxBatch` are split into several runs.
 */
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { SightlineError, unletterboxBox, unletterboxPoint, type Detection } from '@sightline/contracts';
import { BlazeFaceDecoder } from './decoders/blazeface.js';
import type { OutputDecoder } from './decoders/decoder.js';
import { YoloDecoder } from './decoders/yolo.js';
import type { ModelManifest } from './manifest.js';
import { nonMaxSuppression, type Candidate, type NmsOptions } from './nms.js';
import { InputTensorPacker, type InputFrame } from './preprocess.js';
import { createInferenceSession, type ExecutionProvider, type RuntimeOptions } from './runtime.js';
import { VisionErrorCode } from './errors.js';

export interface DetectorOptions extends RuntimeOptions {
  manifest: ModelManifest;
  /** Caps the frames per run of a dynamic-batch model below the manifest's `maxBatch`. */
  maxBatch?: number;
  /**
   * Pad every run of a dynamic-batch model to `maxBatch` frames: one input shape only. On by default on CUDA, whose
   * provider tunes its convolutions per new input shape (cuDNN's exhaustive search, ~3 s per shape on the H200), and
   * on the H200 runs of varying batch sizes took seconds each in the fleet even with every shape warmed up, where one
   * fixed shape takes 10 ms (docs/benchmarks.md). Off on the CPU, where padding is wasted work.
   */
  padBatches?: boolean;
}

export interface DetectionTimings {
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

export interface FrameDetections {
  /** In source-frame pixels. */
  detections: Detection[];
  /** Of the whole run the frame was part of: what the frame waited for. */
  timings: DetectionTimings;
  /** Frames in that run. */
  batchSize: number;
}

export class Detector {
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;
  private readonly packer: InputTensorPacker;
  private readonly nms: NmsOptions;

  private constructor(
    private readonly session: InferenceSession,
    /** The execution provider actually in use. */
    readonly provider: ExecutionProvider,
    private readonly manifest: ModelManifest,
    private readonly decoder: OutputDecoder,
    private readonly batch: ModelBatch,
    private readonly padBatches: boolean,
  ) {
    this.packer = new InputTensorPacker(manifest.input);
    this.nms = { ...manifest.nms, maxDetections: manifest.maxDetections };
  }

  static async create(options: DetectorOptions): Promise<Detector> {
    const { manifest } = options;
    const { session, provider } = await createInferenceSession(manifest.file, options);
    try {
      const batch = modelBatch(manifest, session.inputMetadata);
      if (batch.dynamic && options.maxBatch !== undefined) batch.max = Math.max(1, Math.min(batch.max, options.maxBatch));
      const decoder =
        manifest.decoder.kind === 'blazeface'
          ? new BlazeFaceDecoder(manifest.decoder, manifest, session.outputMetadata)
          : new YoloDecoder(manifest.decoder, manifest, session.outputMetadata);
      return new Detector(session, provider, manifest, decoder, batch, options.padBatches ?? provider === 'cuda');
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  get modelId(): string {
    return this.manifest.id;
  }

  get inputSize(): { width: number; height: number } {
    return { width: this.manifest.input.width, height: this.manifest.input.height };
  }

  /** Most frames per inference run: the model's fixed batch size, or the manifest's cap when it is dynamic. */
  get maxBatch(): number {
    return this.batch.max;
  }

  /** One result per frame, in order. Frames must be letterboxed to `inputSize`. */
  detect(frames: readonly InputFrame[]): Promise<FrameDetections[]> {
    if (this.released) {
      return Promise.reject(new SightlineError(VisionErrorCode.detectorReleased, 'detector was released', { model: this.modelId }));
    }
    const results = this.queue.then(async () => {
      const perFrame: FrameDetections[] = [];
      for (let start = 0; start < frames.length; start += this.batch.max) {
        perFrame.push(...(await this.run(frames.slice(start, start + this.batch.max))));
      }
      return perFrame;
    });
    this.queue = results.catch(() => undefined);
    return results;
  }

  /**
   * One run of `frames` blank frames (padded runs: of the one shape they use), so that ONNX Runtime allocates its
   * buffers (and CUDA loads and tunes its kernels) before the first real frame, not on it. Resolves with the
   * milliseconds it took.
   */
  async warmUp(frames = this.maxBatch): Promise<number> {
    const { width, height } = this.inputSize;
    const blank: InputFrame = {
      pixels: new Uint8Array(width * height * 3),
      meta: { source: { width, height }, frame: { width, height, pixelFormat: 'rgb24' }, letterbox: { scale: 1, padX: 0, padY: 0 } },
    };
    const started = performance.now();
    await this.detect(Array.from({ length: Math.min(Math.max(1, frames), this.batch.max) }, () => blank));
    return performance.now() - started;
  }

  /** Waits for queued runs, then frees the session. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue;
    await this.session.release();
  }

  private async run(frames: readonly InputFrame[]): Promise<FrameDetections[]> {
    const started = performance.now();
    const tensorBatch = this.batch.dynamic && !this.padBatches ? frames.length : this.batch.max;
    const values = this.packer.pack(frames, tensorBatch);
    const dims = this.packer.dims(tensorBatch);
    const input = values instanceof Uint8Array ? new Tensor('uint8', values, dims) : new Tensor('float32', values, dims);
    const packed = performance.now();
    const outputs = await this.session.run({ [this.manifest.input.name]: input }, this.decoder.outputNames);
    const inferred = performance.now();
    const detections = frames.map((frame, index) =>
      this.toSourcePixels(nonMaxSuppression(this.decoder.decode(outputs, index), this.nms), frame.meta),
    );
    const timings = {
      preprocessMs: packed - started,
      inferenceMs: inferred - packed,
      postprocessMs: performance.now() - inferred,
    };
    return detections.map((frameDetections) => ({ detections: frameDetections, timings, batchSize: frames.length }));
  }

  private toSourcePixels(candidates: readonly Candidate[], meta: InputFrame['meta']): Detection[] {
    return candidates.flatMap(({ box, score, classIndex, keypoints }) => {
      const sourceBox = unletterboxBox(box, meta.letterbox, meta.source);
      // Entirely inside the letterbox padding: nothing of the source frame is there.
      if (sourceBox.w <= 0 || sourceBox.h <= 0) return [];
      return [
        {
          label: this.manifest.labels[classIndex] ?? String(classIndex),
          score,
          box: sourceBox,
          ...(keypoints && { keypoints: keypoints.map((p) => unletterboxPoint(p, meta.letterbox)) }),
        },
      ];
    });
  }
}

interface ModelBatch {
  dynamic: boolean;
  max: number;
}

/** Checks the manifest's input against the model's, and reads the batch dimension (symbolic = dynamic). */
function modelBatch(manifest: ModelManifest, inputs: readonly InferenceSession.ValueMetadata[]): ModelBatch {
  const { name, width, height, layout, type = 'float32' } = manifest.input;
  const mismatch = (reason: string, context: Record<string, unknown> = {}) =>
    new SightlineError(VisionErrorCode.modelInputMismatch, `model ${manifest.id}: ${reason}`, { model: manifest.id, ...context });
  const meta = inputs.find((i) => i.name === name);
  if (!meta?.isTensor || meta.type !== type) {
    throw mismatch(`no ${type} input "${name}"`, { inputs: inputs.map((i) => i.name) });
  }
  const [batchDim, ...dims] = meta.shape;
  if (batchDim === undefined) {
    // Shape unknown to ORT: only the manifest can tell.
    return manifest.dynamicBatch ? { dynamic: true, max: manifest.maxBatch } : { dynamic: false, max: 1 };
  }
  const expected = layout === 'NHWC' ? [height, width, 3] : [3, height, width];
  if (dims.length !== 3 || dims.some((d, i) => typeof d === 'number' && d >= 0 && d !== expected[i])) {
    throw mismatch(`input shape [${meta.shape.join(',')}] does not fit ${layout} ${width}x${height}x3`, {
      shape: meta.shape,
    });
  }
  const fixedBatch = typeof batchDim === 'number' && batchDim > 0 ? batchDim : undefined;
  if (manifest.dynamicBatch !== undefined && manifest.dynamicBatch !== (fixedBatch === undefined)) {
    throw mismatch(`manifest says dynamicBatch=${manifest.dynamicBatch}, the model's batch dimension is ${batchDim}`);
  }
  return fixedBatch === undefined ? { dynamic: true, max: manifest.maxBatch } : { dynamic: false, max: fixedBatch };
}
