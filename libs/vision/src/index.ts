export { Detector, type DetectionTimings, type DetectorOptions, type FrameDetections } from './detector.js';
export type { InputFrame } from './preprocess.js';
export { VisionErrorCode } from './errors.js';
export {
  BUILTIN_MODEL_IDS,
  DEFAULT_MODEL_ID,
  builtinManifest,
  loadManifestFile,
  resolveManifest,
  type ModelManifest,
  type ModelInputSpec,
  type DecoderSpec,
  type BlazeFaceDecoderSpec,
  type YoloDecoderSpec,
} from './manifest.js';
export {
  PROVIDER_PREFERENCES,
  type ExecutionProvider,
  type ProviderPreference,
  type RuntimeOptions,
  type VisionLogger,
} from './runtime.js';
