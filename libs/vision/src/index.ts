export { Detector, type DetectionTimings, type FrameDetections } from './detector.js';
export type { InputFrame } from './preprocess.js';
export { VisionErrorCode } from './errors.js';
export { DEFAULT_MODEL_ID, builtinManifest, loadManifestFile, resolveManifest, type ModelManifest } from './manifest.js';
export { PROVIDER_PREFERENCES, type VisionLogger } from './runtime.js';
