export { InferenceWorker } from './inference-worker.js';
export { GpuMonitor } from './gpu-monitor.js';
