/** Codes of the errors this library raises (a frame failing them is dead-lettered with the code). */
import { type ErrorCodeOf } from '@sightline/contracts';
import { VisionErrorCode } from '@sightline/vision';

export const InferenceErrorCode = {
  /** The frame body's length is not what its meta's size and pixel format need. */
  frameLengthMismatch: 'FRAME_LENGTH_MISMATCH',
  frameSizeMismatch: VisionErrorCode.frameSizeMismatch,
} as const;
export type InferenceErrorCode = ErrorCodeOf<typeof InferenceErrorCode>;
