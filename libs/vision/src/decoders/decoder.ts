/**
 * A decoder turns a model's raw output tensors into candidates (model-input pixels, above the score threshold,
 * before NMS). Decoders check the model's outputs against the manifest when they are constructed.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { SightlineError } from '@sightline/contracts';
import type { Candidate } from '../nms.js';
import { VisionErrorCode } from '../errors.js';

export interface OutputDecoder {
  /** The session outputs this decoder reads. */
  readonly outputNames: readonly string[];
  /** Candidates of frame `batchIndex` of the batch. */
  decode(outputs: Readonly<Record<string, Tensor>>, batchIndex: number): Candidate[];
}

export type OutputMetadata = readonly InferenceSession.ValueMetadata[];

export function outputMismatch(modelId: string, message: string, context: Record<string, unknown> = {}) {
  return new SightlineError(VisionErrorCode.modelOutputMismatch, `model ${modelId}: ${message}`, { model: modelId, ...context });
}

/** Static shape of a float32 output, or throws when the model has no such output. Symbolic dimensions are null. */
export function outputShape(modelId: string, outputs: OutputMetadata, name: string): (number | null)[] {
  const meta = outputs.find((o) => o.name === name);
  if (!meta?.isTensor || meta.type !== 'float32') {
    throw outputMismatch(modelId, `no float32 output "${name}"`, { outputs: outputs.map((o) => o.name) });
  }
  return meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
}

export function floatData(tensor: Tensor): Float32Array {
  return tensor.data as Float32Array;
}
