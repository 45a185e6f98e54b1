export { type FrameOutcome } from './inference-metrics.js';
export { InferenceWorker } from './inference-worker.js';
export { GpuMonitor } from './gpu-monitor.js';
