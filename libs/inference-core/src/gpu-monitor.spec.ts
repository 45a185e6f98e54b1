import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuMonitor, NVIDIA_SMI_ARGS, parseNvidiaSmiCsv } from './gpu-monitor.js';
import { silentLogger } from '@sightline/contracts';
import { waitUntil } from '@sightline/local-infra';

const MIB = 1024 * 1024;

describe('parseNvidiaSmiCsv', () => {
  it('reads an idle H200 (output captured on a real one)', () => {
    expect(parseNvidiaSmiCsv('0, 0, 143771\n')).toEqual([
      { index: 0, utilizationRatio: 0, memoryUsedBytes: 0, memoryTotalBytes: 143771 * MIB },
    ]);
  });

  it('reads one line per GPU, in index order', () => {
    const samples = parseNvidiaSmiCsv('87, 40536, 81559\n3, 1024, 81559\n');
    expect(samples.map((s) => [s.index, s.utilizationRatio, s.memoryUsedBytes])).toEqual([
      [0, 0.87, 40536 * MIB],
      [1, 0.03, 1024 * MIB],
    ]);
  });

  it('leaves out fields the GPU does not report (MIG instances, old boards)', () => {
    expect(parseNvidiaSmiCsv('[N/A], 5123, 40192\r\n[Not Supported], [N/A], [N/A]\r\n')).toEqual([
      { index: 0, memoryUsedBytes: 5123 * MIB, memoryTotalBytes: 40192 * MIB },
      { index: 1 },
    ]);
  });

  it('reads no GPU from empty output', () => {
    expect(parseNvidiaSmiCsv('\n')).toEqual([]);
  });
});

describe('GpuMonitor', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'gpu-monitor-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  /**
   * A stand-in nvidia-smi that checks it was asked the documented query, then prints what `answer` last set
   * and exits with its code.
   */
  async function fakeNvidiaSmi(name: string) {
    const path = join(folder, name);
    await writeFile(
      path,
      `#!/bin/sh\n[ "$*" = "${NVIDIA_SMI_ARGS.join(' ')}" ] || { echo "unexpected arguments: $*" >&2; exit 2; }\n` +
        `cat "${path}.out"\nexit "$(cat "${path}.rc")"\n`,
    );
    await chmod(path, 0o755);
    const answer = async (output: string, exitCode = 0) => {
      await writeFile(`${path}.out`, output);
      await writeFile(`${path}.rc`, String(exitCode));
    };
    return { path, answer };
  }

  it('exports utilisation and memory per GPU, and withholds them while nvidia-smi fails', async () => {
    const registry = new Registry();
    const smi = await fakeNvidiaSmi('smi-flaky');
    await smi.answer('81, 20480, 143771\n');
    const monitor = new GpuMonitor({ registry, logger: silentLogger, command: smi.path, intervalMs: 50 });
    expect(await monitor.start()).toBe(1);
    try {
      const text = await registry.metrics();
      expect(text).toContain('sightline_gpu_utilization_ratio{gpu="0"} 0.81');
      expect(text).toContain(`sightline_gpu_memory_used_bytes{gpu="0"} ${20480 * MIB}`);
      expect(text).toContain(`sightline_gpu_memory_total_bytes{gpu="0"} ${143771 * MIB}`);

      await smi.answer('Unable to determine the device handle for GPU0\n', 15);
      await waitUntil(async () => !(await registry.metrics()).includes('sightline_gpu_utilization_ratio{'));
      await smi.answer('12, 1024, 143771\n');
      await waitUntil(async () => (await registry.metrics()).includes('sightline_gpu_utilization_ratio{gpu="0"} 0.12'));
    } finally {
      monitor.stop();
    }
  });

  it('exports no GPU series where nvidia-smi is missing or finds no GPU', async () => {
    const smi = await fakeNvidiaSmi('smi-no-devices');
    await smi.answer('No devices were found\n', 6);
    for (const command of [join(folder, 'no-such-nvidia-smi'), smi.path]) {
      const registry = new Registry();
      const monitor = new GpuMonitor({ registry, logger: silentLogger, command });
      expect(await monitor.start()).toBe(0);
      expect(await registry.metrics()).not.toContain('sightline_gpu_');
    }
  });
});
