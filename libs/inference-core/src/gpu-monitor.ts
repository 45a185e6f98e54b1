/**
 * GPU utilisation and memory for the autoscaler and Prometheus, read with `nvidia-smi` (it ships with the NVIDIA
 * driver, so no native NVML binding is needed). Where nvidia-smi is missing or finds no GPU at start-up, the gauges
 * are never registered: a CPU-only replica exports no GPU series rather than zeros that would look like an idle GPU.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Gauge, type Registry } from 'prom-client';
import type { LoggerPort } from '@sightline/contracts';

const run = promisify(execFile);

export const NVIDIA_SMI_ARGS = ['--query-gpu=utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'] as const;

const MIB = 1024 * 1024;

/** One GPU; a field nvidia-smi reports as unavailable (`[N/A]`, e.g. utilisation of a MIG instance) is omitted. */
export interface GpuSample {
  /** Line position in nvidia-smi's output, which is the GPU index (PCI bus order). */
  index: number;
  utilizationRatio?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
}

/** Parses `nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(output: string): GpuSample[] {
  const number = (field: string | undefined) => {
    const value = Number(field?.trim());
    return field?.trim() && Number.isFinite(value) ? value : undefined;
  };
  return output
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .map((line, index) => {
      const [utilization, used, total] = line.split(',').map(number);
      return {
        index,
        ...(utilization !== undefined && { utilizationRatio: utilization / 100 }),
        ...(used !== undefined && { memoryUsedBytes: used * MIB }),
        ...(total !== undefined && { memoryTotalBytes: total * MIB }),
      };
    });
}

export interface GpuMonitorOptions {
  registry: Registry;
  logger: LoggerPort;
  /** The nvidia-smi executable. */
  command?: string;
  intervalMs?: number;
}

interface GpuGauges {
  utilization: Gauge<'gpu'>;
  memoryUsed: Gauge<'gpu'>;
  memoryTotal: Gauge<'gpu'>;
}

export class GpuMonitor {
  private gauges?: GpuGauges;
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(private readonly options: GpuMonitorOptions) {}

  /** Takes a first sample; polls on only when it found a GPU. Resolves with the GPUs found (0 = not exported). */
  async start(): Promise<number> {
    const { logger, command = 'nvidia-smi', intervalMs = 5000 } = this.options;
    let samples: GpuSample[];
    try {
      samples = await this.query();
    } catch (error) {
      logger.info('no GPU metrics: nvidia-smi not available', { command, error: (error as Error).message });
      return 0;
    }
    if (!samples.length) {
      logger.info('no GPU metrics: nvidia-smi lists no GPU', { command });
      return 0;
    }
    this.gauges = this.registerGauges();
    this.record(samples);
    this.timer = setInterval(() => void this.poll(), intervalMs).unref();
    logger.info('exporting GPU metrics', { gpus: samples.length, intervalMs });
    return samples.length;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async query(): Promise<GpuSample[]> {
    const { stdout } = await run(this.options.command ?? 'nvidia-smi', [...NVIDIA_SMI_ARGS], { timeout: 3000 });
    return parseNvidiaSmiCsv(stdout);
  }

  private async poll(): Promise<void> {
    try {
      this.record(await this.query());
      if (this.failing) this.options.logger.info('nvidia-smi answers again');
      this.failing = false;
    } catch (error) {
      // Stale values would mislead the autoscaler: drop them until nvidia-smi answers again. Warn once per outage.
      for (const gauge of Object.values(this.gauges ?? {})) gauge.reset();
      if (!this.failing) this.options.logger.warn('nvidia-smi failed; GPU metrics withheld', { error: (error as Error).message });
      this.failing = true;
    }
  }

  private record(samples: readonly GpuSample[]): void {
    const gauges = this.gauges!;
    for (const gauge of Object.values(gauges)) gauge.reset();
    for (const sample of samples) {
      const labels = { gpu: String(sample.index) };
      if (sample.utilizationRatio !== undefined) gauges.utilization.set(labels, sample.utilizationRatio);
      if (sample.memoryUsedBytes !== undefined) gauges.memoryUsed.set(labels, sample.memoryUsedBytes);
      if (sample.memoryTotalBytes !== undefined) gauges.memoryTotal.set(labels, sample.memoryTotalBytes);
    }
  }

  private registerGauges(): GpuGauges {
    const registers = [this.options.registry];
    const existing = (name: string) => this.options.registry.getSingleMetric(name) as Gauge<'gpu'> | undefined;
    const gauge = (name: string, help: string) => existing(name) ?? new Gauge({ name, help, labelNames: ['gpu'], registers });
    return {
      utilization: gauge('sightline_gpu_utilization_ratio', "GPU busy time over nvidia-smi's sample period, 0..1"),
      memoryUsed: gauge('sightline_gpu_memory_used_bytes', 'GPU memory in use (all processes)'),
      memoryTotal: gauge('sightline_gpu_memory_total_bytes', 'GPU memory installed'),
    };
  }
}
