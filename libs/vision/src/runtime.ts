/**
 * ONNX Runtime session creation with execution-provider selection. CUDA is optional at run time: a CPU-only
 * onnxruntime-node install (CI, laptops) throws when asked for CUDA, so `auto`/`cuda` fall back to the CPU.
 */
import { readFile } from 'node:fs/promises';
import { InferenceSession } from 'onnxruntime-node';
import { SightlineError, type LoggerPort } from '@sightline/contracts';
import { errorMessage } from './errors.js';
import { VisionErrorCode } from './errors.js';
import { VisionWarningCode } from './errors.js';

export const PROVIDER_PREFERENCES = ['auto', 'cuda', 'cpu'] as const;
export type ProviderPreference = (typeof PROVIDER_PREFERENCES)[number];
export type ExecutionProvider = 'cuda' | 'cpu';

/** The one thing this library logs; a winston logger fits. */
export type VisionLogger = Pick<LoggerPort, 'warn'>;

export interface RuntimeOptions {
  /** `auto` (default) and `cuda` try CUDA first and fall back to the CPU with one warning. */
  provider?: ProviderPreference;
  logger?: VisionLogger;
  /** ORT graph optimisation level; `all` by default. */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Threads ORT uses inside one operator on the CPU; ORT's default (one per core) when omitted. */
  intraOpThreads?: number;
  /**
   * Let idle ORT worker threads spin-wait for the next run (ORT's default). Off by default here: between frames the
   * spinning burns CPU that FFmpeg and the rest of the pipeline need, for a sub-millisecond gain.
   */
  allowSpinning?: boolean;
}

export interface CreatedSession {
  session: InferenceSession;
  /** The provider actually in use. */
  provider: ExecutionProvider;
}

export async function createInferenceSession(modelPath: string, options: RuntimeOptions = {}): Promise<CreatedSession> {
  // Read once up front so a missing file is reported as such, not as "CUDA unavailable", and is not read twice.
  let model: Uint8Array;
  try {
    model = await readFile(modelPath);
  } catch (error) {
    throw loadFailed(modelPath, error);
  }
  const sessionOptions: InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    ...(options.intraOpThreads !== undefined && { intraOpNumThreads: options.intraOpThreads }),
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' }, inter_op: { allow_spinning: '0' } } },
    // Errors only: the vendored models trigger harmless "unused initializer" warnings on every load.
    logSeverityLevel: 3,
  };

  const preference = options.provider ?? 'auto';
  if (preference !== 'cpu') {
    try {
      const session = await InferenceSession.create(model, { ...sessionOptions, executionProviders: ['cuda'] });
      return { session, provider: 'cuda' };
    } catch (error) {
      options.logger?.warn(`CUDA execution provider unavailable, running on CPU: ${errorMessage(error)}`, {
        code: VisionWarningCode.cudaUnavailable,
        requestedProvider: preference,
        model: modelPath,
      });
    }
  }
  try {
    const session = await InferenceSession.create(model, { ...sessionOptions, executionProviders: ['cpu'] });
    return { session, provider: 'cpu' };
  } catch (error) {
    throw loadFailed(modelPath, error);
  }
}

function loadFailed(modelPath: string, cause: unknown): SightlineError {
  return new SightlineError(
    VisionErrorCode.modelLoadFailed,
    `cannot load model ${modelPath}: ${errorMessage(cause)}`,
    { model: modelPath },
    { cause },
  );
}
