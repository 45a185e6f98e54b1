import { describe, expect, it } from 'vitest';
import { loadInferenceConfig } from './config.js';

describe('inference configuration', () => {
  it('has the documented defaults', () => {
    expect(loadInferenceConfig({})).toMatchObject({
      HTTP_PORT: 3002,
      INFERENCE_MODEL: 'blazeface-back-256-u8',
      INFERENCE_PROVIDER: 'auto',
      INFERENCE_MAX_BATCH: 8,
      INFERENCE_MAX_IN_FLIGHT: 64,
      INFERENCE_PREFETCH: 16,
      INFERENCE_FRAME_DEADLINE_MS: 500,
      INFERENCE_LINGER_MS: 2,
      INFERENCE_FAIR_SHARE_QUEUE_MS: 50,
      INFERENCE_FAIR_SHARE_WINDOW_MS: 2000,
      INFERENCE_INTRA_OP_THREADS: 1,
      INFERENCE_ALLOW_SPINNING: false,
      INFERENCE_GPU_POLL_MS: 5000,
      NVIDIA_SMI_PATH: 'nvidia-smi',
    });
  });

  it('names every invalid variable', () => {
    const load = () => loadInferenceConfig({ INFERENCE_PROVIDER: 'tpu', INFERENCE_MAX_BATCH: '0', INFERENCE_FRAME_DEADLINE_MS: 'soon' });
    expect(load).toThrow(/INFERENCE_PROVIDER[\s\S]*INFERENCE_MAX_BATCH[\s\S]*INFERENCE_FRAME_DEADLINE_MS/);
  });
});
