import { baseConfigShape, env, loadConfig } from '@sightline/config';
import { DEFAULT_MODEL_ID, PROVIDER_PREFERENCES } from '@sightline/vision';

/** Environment variables of the inference service (documented in docs/inference.md). */
export const inferenceConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: env.port(3002),
  /** A built-in model id or the path of a JSON model manifest. */
  INFERENCE_MODEL: env.string(DEFAULT_MODEL_ID),
  INFERENCE_PROVIDER: env.oneOf(PROVIDER_PREFERENCES, 'auto'),
  /** Frames per inference run when the model's batch dimension is dynamic (fixed-batch models use their own). */
  INFERENCE_MAX_BATCH: env.int(8, 1, 256),
  /** Unacknowledged frames across all replicas (the shared consumer's max_ack_pending). */
  INFERENCE_MAX_IN_FLIGHT: env.int(64, 1),
  /** Frames one replica buffers ahead of the detector (capped by INFERENCE_MAX_IN_FLIGHT). */
  INFERENCE_PREFETCH: env.int(16, 1),
  /** Live frames older than this (capture to dequeue) are skipped and counted; 0 never skips. */
  INFERENCE_FRAME_DEADLINE_MS: env.int(500, 0),
  /**
   * Queue wait (publish to batch start) above which the worker counts as behind and sheds the live frames of sessions
   * that had more than their share (docs/inference.md, "Fair share"); 0 = FIFO, only the deadline sheds.
   */
  INFERENCE_FAIR_SHARE_QUEUE_MS: env.int(50, 0),
  /** How far back analysed frames count towards a session's share. */
  INFERENCE_FAIR_SHARE_WINDOW_MS: env.int(2000, 100),
  /** How long a partial micro-batch waits for more frames. */
  INFERENCE_LINGER_MS: env.int(2, 0),
  /**
   * ONNX Runtime threads per operator on the CPU; 0 = one per core (ORT's default). 1 by default: on small hosts
   * FFmpeg and the other services need the other cores, and one thread measured both faster and cheaper there
   * (docs/benchmarks.md). Raise it on hosts dedicated to CPU inference.
   */
  INFERENCE_INTRA_OP_THREADS: env.int(1, 0),
  /** Let idle ORT threads spin-wait between runs (lower latency on dedicated hosts, ~2× CPU per frame). */
  INFERENCE_ALLOW_SPINNING: env.bool(false),
  /** How often GPU utilisation and memory are read (only where nvidia-smi finds a GPU). */
  INFERENCE_GPU_POLL_MS: env.int(5000, 500),
  NVIDIA_SMI_PATH: env.string('nvidia-smi'),
};

export type InferenceConfig = ReturnType<typeof loadInferenceConfig>;
export const loadInferenceConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(inferenceConfigShape, source);
