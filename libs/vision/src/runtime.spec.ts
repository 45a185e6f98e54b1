import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinManifest } from './manifest.js';
import { createInferenceSession } from './runtime.js';

describe('createInferenceSession', () => {
  let folder: string;
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message) };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vision-runtime-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('runs on the CPU without a warning when asked for the CPU', async () => {
    warnings.length = 0;
    const { session, provider } = await createInferenceSession(builtinManifest('blazeface-front-128').file, {
      provider: 'cpu',
      logger,
      intraOpThreads: 1,
    });
    expect(provider).toBe('cpu');
    expect(session.inputNames).toEqual(['input:0']);
    expect(warnings).toEqual([]);
    await session.release();
  });

  it('reports a missing model as MODEL_LOAD_FAILED, not as a CUDA problem', async () => {
    warnings.length = 0;
    const missing = createInferenceSession(join(folder, 'absent.onnx'), { provider: 'auto', logger });
    await expect(missing).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(warnings).toEqual([]);
  });

  it('reports a file that is not an ONNX model as MODEL_LOAD_FAILED', async () => {
    const garbage = join(folder, 'garbage.onnx');
    await writeFile(garbage, 'not a model');
    await expect(createInferenceSession(garbage, { provider: 'cpu' })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
    });
  });
});
