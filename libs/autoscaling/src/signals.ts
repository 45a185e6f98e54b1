/**
 * Where the autoscaler's load signals come from: Prometheus (PromQL), or the inference replicas' own `/metrics`.
 *
 * Utilisation is GPU utilisation (`sightline_gpu_utilization_ratio`, from nvidia-smi) where the replicas have a GPU.
 * A CPU-only replica exports no GPU series; for it the documented substitute is the *busy ratio*: the share of wall
 * time its inference consumer spent handling frames (the rate of `sightline_consumer_handle_seconds_sum`). Like GPU
 * utilisation it approaches 1 when the replica is the bottleneck and 0 when it waits for frames.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CONSUMERS, SightlineError } from '@sightline/contracts';
import { type LoadSignals } from './policy.js';
import { parsePrometheusText, selectSamples, type MetricSample } from '@sightline/observability';
import { AutoscalingErrorCode } from './errors.js';

export const GPU_UTILIZATION_METRIC = 'sightline_gpu_utilization_ratio';
export const CONSUMER_HANDLE_SECONDS_SUM = 'sightline_consumer_handle_seconds_sum';
export const CONSUMER_LAG_METRIC = 'sightline_consumer_pending_messages';

export interface SignalSource {
  /** Never throws for an unreachable replica (it just does not report); throws only when nothing can be asked. */
  read(): Promise<LoadSignals>;
}

/** `gpu`: GPU utilisation only; `busy`: the consumer busy ratio only; `auto`: GPU where any replica reports it. */
export const UTILIZATION_SIGNALS = ['auto', 'gpu', 'busy'] as const;
export type UtilizationSignal = (typeof UTILIZATION_SIGNALS)[number];

export interface ReplicaMetricsSourceOptions {
  /** The `/metrics` URLs of the replicas, asked anew at each read (replicas come and go). */
  targets: () => Promise<string[]>;
  utilization: UtilizationSignal;
  /** Durable consumer whose lag and busy time are read. */
  consumer?: string;
  timeoutMs?: number;
  now?: () => number;
}

interface BusyReading {
  at: number;
  handleSeconds: number;
}

interface ReplicaReading {
  gpu?: number;
  busy?: number;
  lag?: number;
}

export class ReplicaMetricsSource implements SignalSource {
  /** Previous busy-time counter per target: a ratio needs two readings. */
  private readonly previous = new Map<string, BusyReading>();

  constructor(private readonly options: ReplicaMetricsSourceOptions) {}

  async read(): Promise<LoadSignals> {
    const targets = await this.options.targets();
    for (const url of this.previous.keys()) if (!targets.includes(url)) this.previous.delete(url);
    const readings = (await Promise.all(targets.map((url) => this.readReplica(url)))).filter((r): r is ReplicaReading => r !== undefined);

    const gpu = readings.flatMap((r) => (r.gpu === undefined ? [] : [r.gpu]));
    const busy = readings.flatMap((r) => (r.busy === undefined ? [] : [r.busy]));
    const lags = readings.flatMap((r) => (r.lag === undefined ? [] : [r.lag]));
    const useGpu = this.options.utilization === 'gpu' || (this.options.utilization === 'auto' && gpu.length > 0);
    const chosen = useGpu ? gpu : busy;
    return {
      ...(chosen.length > 0 && { utilization: mean(chosen), utilizationKind: useGpu ? 'gpu' : 'busy' }),
      // Every replica reports the same shared consumer's lag (sampled at slightly different times): take the worst.
      ...(lags.length > 0 && { lag: Math.max(...lags) }),
      reporting: readings.length,
    };
  }

  private async readReplica(url: string): Promise<ReplicaReading | undefined> {
    const at = (this.options.now ?? Date.now)();
    let samples: MetricSample[];
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000) });
      if (!res.ok) return undefined;
      samples = parsePrometheusText(await res.text());
    } catch {
      // Starting, stopping or gone: it simply does not report this round.
      return undefined;
    }
    const consumer = { consumer: this.options.consumer ?? CONSUMERS.inference };
    const gpuValues = selectSamples(samples, GPU_UTILIZATION_METRIC).map((s) => s.value);
    const lagValues = selectSamples(samples, CONSUMER_LAG_METRIC, consumer).map((s) => s.value);
    const handleSamples = selectSamples(samples, CONSUMER_HANDLE_SECONDS_SUM, consumer);
    let busy: number | undefined;
    // A replica running the consumer (it reports the lag) that has not handled a frame yet has been busy for 0 s.
    if (handleSamples.length > 0 || lagValues.length > 0) {
      const handleSeconds = handleSamples.reduce((sum, s) => sum + s.value, 0);
      const before = this.previous.get(url);
      this.previous.set(url, { at, handleSeconds });
      // A counter that went down means the replica restarted behind the same address: start over.
      if (before && at > before.at && handleSeconds >= before.handleSeconds) {
        busy = Math.min(1, (handleSeconds - before.handleSeconds) / ((at - before.at) / 1000));
      }
    }
    return {
      ...(gpuValues.length > 0 && { gpu: mean(gpuValues) }),
      ...(busy !== undefined && { busy }),
      ...(lagValues.length > 0 && { lag: Math.max(...lagValues) }),
    };
  }
}

export interface PrometheusSourceOptions {
  /** Base URL of the Prometheus server, e.g. http://prometheus:9090. */
  url: string;
  /** PromQL returning one number: the tier's utilisation, 0..1. */
  utilizationQuery: string;
  /** PromQL returning one number: the inference consumer's lag; empty = not used. */
  lagQuery?: string;
  /** What `utilizationQuery` measures, for logs and metrics. */
  utilizationKind?: string;
  timeoutMs?: number;
}

export const DEFAULT_PROMQL = {
  gpuUtilization: `avg(${GPU_UTILIZATION_METRIC}{service="inference"})`,
  /** The busy-ratio substitute for CPU-only replicas. */
  busyUtilization: `avg(rate(${CONSUMER_HANDLE_SECONDS_SUM}{consumer="${CONSUMERS.inference}"}[1m]))`,
  lag: `max(${CONSUMER_LAG_METRIC}{consumer="${CONSUMERS.inference}"})`,
} as const;

export class PrometheusSource implements SignalSource {
  constructor(private readonly options: PrometheusSourceOptions) {}

  async read(): Promise<LoadSignals> {
    const [utilization, lag] = await Promise.all([
      this.query(this.options.utilizationQuery),
      this.options.lagQuery ? this.query(this.options.lagQuery) : Promise.resolve(undefined),
    ]);
    return {
      ...(utilization !== undefined && { utilization, utilizationKind: this.options.utilizationKind ?? 'promql' }),
      ...(lag !== undefined && { lag }),
    };
  }

  /** First value of an instant query; undefined when the result is empty (no series yet). */
  async query(promql: string): Promise<number | undefined> {
    const url = new URL('/api/v1/query', this.options.url);
    url.searchParams.set('query', promql);
    let body: PrometheusResponse;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
      body = (await res.json()) as PrometheusResponse;
    } catch (err) {
      throw new SightlineError(AutoscalingErrorCode.prometheusUnavailable, `Prometheus query failed: ${(err as Error).message}`, {
        url: this.options.url,
        query: promql,
      });
    }
    if (body.status !== 'success' || !body.data) {
      throw new SightlineError(AutoscalingErrorCode.prometheusQueryFailed, body.error ?? 'query failed', {
        query: promql,
        errorType: body.errorType,
      });
    }
    const { resultType, result } = body.data;
    const raw =
      resultType === 'scalar'
        ? (result as [number, string])[1]
        : resultType === 'vector'
          ? (result as Array<{ value: [number, string] }>)[0]?.value[1]
          : undefined;
    const value = raw === undefined ? undefined : Number(raw);
    return value !== undefined && Number.isFinite(value) ? value : undefined;
  }
}

interface PrometheusResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

/**
 * Expands metrics URLs whose host is a name into one URL per address the name resolves to: Docker's DNS answers a
 * compose service name with every replica's address, so `http://inference:3002/metrics` finds all of them.
 */
export async function resolveMetricsTargets(
  urls: readonly string[],
  resolve: (host: string) => Promise<string[]> = async (host) => (await lookup(host, { all: true })).map((a) => a.address),
): Promise<string[]> {
  const expanded = await Promise.all(
    urls.map(async (raw) => {
      const url = new URL(raw);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) || host === 'localhost') return [url.toString()];
      let addresses: string[];
      try {
        addresses = await resolve(host);
      } catch {
        return []; // no replica yet (scaled to 0, or DNS not ready)
      }
      return [...new Set(addresses)].map((address) => {
        const each = new URL(url);
        each.hostname = isIP(address) === 6 ? `[${address}]` : address;
        return each.toString();
      });
    }),
  );
  return [...new Set(expanded.flat())];
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
