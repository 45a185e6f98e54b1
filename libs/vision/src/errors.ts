/** Codes of the errors and warnings this library raises (they reach logs and dead letters). */
import { type ErrorCodeOf } from '@sightline/contracts';

export const VisionErrorCode = {
  /** `builtin:<id>` names no built-in model. */
  modelUnknown: 'MODEL_UNKNOWN',
  /** A model manifest file that cannot be read or fails its schema. */
  manifestInvalid: 'MANIFEST_INVALID',
  /** onnxruntime could not load the model file. */
  modelLoadFailed: 'MODEL_LOAD_FAILED',
  /** The model's inputs do not match its manifest. */
  modelInputMismatch: 'MODEL_INPUT_MISMATCH',
  /** The model's outputs do not have the shape its decoder expects. */
  modelOutputMismatch: 'MODEL_OUTPUT_MISMATCH',
  /** A frame whose size is not the model input (ingest must letterbox to it). */
  frameSizeMismatch: 'FRAME_SIZE_MISMATCH',
  /** detect() after release(). */
  detectorReleased: 'DETECTOR_RELEASED',
} as const;
export type VisionErrorCode = ErrorCodeOf<typeof VisionErrorCode>;

/** Codes of the warnings this library logs (`code` field). */
export const VisionWarningCode = {
  /** The CUDA execution provider could not start; the model runs on the CPU. */
  cudaUnavailable: 'CUDA_UNAVAILABLE',
} as const;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
