export { FairShareArbiter, type FairShareOptions, type FairShareVerdict } from './fair-share.js';
export { decodeFrameMessage, type QueuedFrame } from './frame-message.js';
export { FrameAnalyzer, type FrameAnalyzerOptions, type FrameDetector, type ResultPublisher } from './frame-analyzer.js';
export {
  FRAME_OUTCOMES,
  LATENCY_STAGES,
  inferenceMetrics,
  type FrameOutcome,
  type InferenceMetrics,
  type LatencyStage,
} from './inference-metrics.js';
export { InferenceWorker, type InferenceWorkerOptions } from './inference-worker.js';
export { GpuMonitor, NVIDIA_SMI_ARGS, parseNvidiaSmiCsv, type GpuMonitorOptions, type GpuSample } from './gpu-monitor.js';
