/**
 * MediaPipe BlazeFace decoding: SSD anchors (SsdAnchorsCalculator) and box/keypoint regression
 * (TensorsToDetectionsCalculator) as in MediaPipe's face_detection graphs.
 */
import type { Tensor } from 'onnxruntime-node';
import type { BlazeFaceDecoderSpec, ModelManifest } from '../manifest.js';
import type { Candidate, Point } from '../nms.js';
import { floatData, outputMismatch, outputShape, type OutputDecoder, type OutputMetadata } from './decoder.js';

/** Anchor centre, normalised to [0,1] of the input. Anchors have a fixed size of 1 (`fixed_anchor_size: true`). */
export type Anchor = Point;

/**
 * MediaPipe's SSD anchors with `aspect_ratios: [1.0]` and `interpolated_scale_aspect_ratio: 1.0`: every layer puts
 * two anchors on each cell; consecutive layers of equal stride share one grid. Order: grid by grid, row-major
 * cells, anchors of a cell together — the order of the model's outputs.
 */
export function generateAnchors(inputWidth: number, inputHeight: number, strides: readonly number[]): Anchor[] {
  const anchors: Anchor[] = [];
  for (let layer = 0; layer < strides.length;) {
    const stride = strides[layer];
    let anchorsPerCell = 0;
    for (; layer < strides.length && strides[layer] === stride; layer++) anchorsPerCell += 2;
    const rows = Math.ceil(inputHeight / stride);
    const cols = Math.ceil(inputWidth / stride);
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        // anchor_offset 0.5: the cell centre.
        for (let a = 0; a < anchorsPerCell; a++) anchors.push({ x: (col + 0.5) / cols, y: (row + 0.5) / rows });
      }
    }
  }
  return anchors;
}

/** MediaPipe's `score_clipping_thresh`: logits are clipped before the sigmoid. */
const SCORE_CLIP = 100;

export class BlazeFaceDecoder implements OutputDecoder {
  readonly outputNames: readonly string[];
  private readonly modelId: string;
  private readonly anchors: Anchor[];
  private readonly width: number;
  private readonly height: number;
  private readonly scoreThreshold: number;

  constructor(
    private readonly spec: BlazeFaceDecoderSpec,
    manifest: Pick<ModelManifest, 'id' | 'input' | 'scoreThreshold'>,
    outputs: OutputMetadata,
  ) {
    this.modelId = manifest.id;
    ({ width: this.width, height: this.height } = manifest.input);
    this.scoreThreshold = manifest.scoreThreshold;
    this.anchors = generateAnchors(this.width, this.height, spec.anchorStrides);
    if (spec.outputs.scores.length !== spec.outputs.regressors.length) {
      throw outputMismatch(manifest.id, 'BlazeFace needs one regressor output per score output');
    }
    this.outputNames = [...spec.outputs.scores, ...spec.outputs.regressors];
    const modelAnchors = spec.outputs.scores.reduce((sum, name) => sum + (outputShape(manifest.id, outputs, name)[1] ?? Number.NaN), 0);
    spec.outputs.regressors.forEach((name) => outputShape(manifest.id, outputs, name)); // present and float32
    // NaN (a symbolic dimension) cannot be checked here; decode() checks the real tensors.
    if (!Number.isNaN(modelAnchors) && modelAnchors !== this.anchors.length) {
      throw outputMismatch(
        manifest.id,
        `the outputs cover ${modelAnchors} anchors, the strides [${spec.anchorStrides}] give ${this.anchors.length}`,
      );
    }
  }

  decode(outputs: Readonly<Record<string, Tensor>>, batchIndex: number): Candidate[] {
    const scoreTensors = this.spec.outputs.scores.map((name) => outputs[name]);
    const outputAnchors = scoreTensors.reduce((sum, tensor) => sum + tensor.dims[1], 0);
    if (outputAnchors !== this.anchors.length) {
      throw outputMismatch(this.modelId, `outputs cover ${outputAnchors} anchors, expected ${this.anchors.length}`);
    }
    const candidates: Candidate[] = [];
    let anchorIndex = 0;
    scoreTensors.forEach((scoreTensor, pair) => {
      const regressorTensor = outputs[this.spec.outputs.regressors[pair]];
      const count = scoreTensor.dims[1];
      const coords = regressorTensor.dims[2];
      const scores = floatData(scoreTensor);
      const regressors = floatData(regressorTensor);
      for (let i = 0; i < count; i++) {
        const logit = Math.min(SCORE_CLIP, Math.max(-SCORE_CLIP, scores[batchIndex * count + i]));
        const score = 1 / (1 + Math.exp(-logit));
        if (score < this.scoreThreshold) continue;
        const anchor = this.anchors[anchorIndex + i];
        candidates.push(this.decodeAnchor(anchor, score, regressors, (batchIndex * count + i) * coords, coords));
      }
      anchorIndex += count;
    });
    return candidates;
  }

  /**
   * Regressors are pixel offsets from the anchor centre (MediaPipe's x/y/w/h_scale equal the input size, so
   * normalised value = raw / size + anchor and pixels = raw + anchor * size): cx, cy, w, h, then keypoint x, y pairs.
   * Keypoints in MediaPipe's order: right eye, left eye, nose tip, mouth centre, right ear, left ear (the subject's
   * right, so on the left of the image).
   */
  private decodeAnchor(anchor: Anchor, score: number, raw: Float32Array, offset: number, coords: number): Candidate {
    const ax = anchor.x * this.width;
    const ay = anchor.y * this.height;
    const cx = ax + raw[offset];
    const cy = ay + raw[offset + 1];
    const w = raw[offset + 2];
    const h = raw[offset + 3];
    const keypoints: Point[] = [];
    for (let k = offset + 4; k + 1 < offset + coords; k += 2) keypoints.push({ x: ax + raw[k], y: ay + raw[k + 1] });
    return { box: { x: cx - w / 2, y: cy - h / 2, w, h }, score, classIndex: 0, keypoints };
  }
}
