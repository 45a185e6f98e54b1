/**
 * The GPU inference image's stage (`inference-gpu` of deploy/docker/Dockerfile), built by deploy/containers/harness.sh
 * as far as this machine allows: every step of the stage runs, on the CUDA base's name (a stand-in without CUDA where
 * no registry answers), with the app tree of the CPU build instead of `cuda-providers`, whose onnxruntime CUDA provider
 * only NuGet serves. What the real base and the provider add is checked by the deploy workflow's build only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DOCKER } from './support.js';

const run = promisify(execFile);
const IMAGE = process.env.SIGHTLINE_GPU_CHECK_IMAGE;

describe('the GPU inference image stage', () => {
  it('is built by the harness', () => {
    expect(IMAGE, 'run through deploy/containers/harness.sh (it builds the image)').toMatch(/sightline-inference:.+-gpu-check$/);
  });

  it('runs the app tree as the service user, with the GPU defaults and the health check of the Node images', async () => {
    const { stdout } = await run(DOCKER, ['image', 'inspect', '--format', '{{json .Config}}', IMAGE!]);
    const config = JSON.parse(stdout) as {
      User: string;
      Env: string[];
      Cmd: string[];
      WorkingDir: string;
      Healthcheck: { Test: string[] };
    };
    expect(config).toMatchObject({ User: '10001:10001', Cmd: ['node', 'main.mjs'], WorkingDir: '/app' });
    expect(config.Env).toEqual(
      expect.arrayContaining(['INFERENCE_PROVIDER=cuda', 'SIGHTLINE_APP=inference', 'HTTP_PORT=3002', 'CUDA_CACHE_PATH=/tmp/cuda-cache']),
    );
    expect(config.Healthcheck.Test).toEqual(['CMD', 'node', '/usr/local/lib/sightline/healthcheck.mjs']);

    // In a read-only container as compose runs it: Node, the inference app and onnxruntime load; the CUDA provider
    // library is the part this build leaves out.
    const probe = [
      "const fs = require('node:fs');",
      "const ort = require('onnxruntime-node');",
      'console.log(JSON.stringify({',
      '  uid: process.getuid(), node: process.version,',
      '  backends: ort.listSupportedBackends().map((b) => b.name),',
      "  app: fs.existsSync('apps/inference/dist/main.js') && fs.readFileSync('main.mjs', 'utf8').trim(),",
      "  cudaProvider: fs.existsSync('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'),",
      '}));',
    ].join('\n');
    const out = await run(DOCKER, ['run', '--rm', '--read-only', '--tmpfs', '/tmp', IMAGE!, 'node', '-e', probe]);
    const facts = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as {
      uid: number;
      node: string;
      backends: string[];
      app: string;
      cudaProvider: boolean;
    };
    expect(facts).toMatchObject({ uid: 10001, app: "import './apps/inference/dist/main.js';", cudaProvider: false });
    expect(facts.node).toMatch(/^v20\./);
    expect(facts.backends).toContain('cpu');
  });
});
