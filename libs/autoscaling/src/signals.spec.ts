import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Gauge, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaMetricsSource, resolveMetricsTargets } from './signals.js';

/** A replica's /metrics as the inference service serves it (prom-client), on a loopback port. */
async function replica() {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'inference' });
  const handle = new Histogram({
    name: 'sightline_consumer_handle_seconds',
    help: 'h',
    labelNames: ['stream', 'consumer'],
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'sightline_consumer_pending_messages',
    help: 'h',
    labelNames: ['stream', 'consumer'],
    registers: [registry],
  });
  const server = createServer((_req, res) => {
    void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const labels = { stream: 'FRAMES', consumer: 'inference' };
  lag.set(labels, 0); // the pull worker samples its lag from the start
  return {
    registry,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    busyFor: (seconds: number) => handle.observe(labels, seconds),
    setLag: (value: number) => lag.set(labels, value),
    gpu: (ratio: number) =>
      (
        (registry.getSingleMetric('sightline_gpu_utilization_ratio') as Gauge<'gpu'> | undefined) ??
        new Gauge({ name: 'sightline_gpu_utilization_ratio', help: 'h', labelNames: ['gpu'], registers: [registry] })
      ).set({ gpu: '0' }, ratio),
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('ReplicaMetricsSource', () => {
  it('derives the busy ratio from two readings of the consumer handle time, per replica', async () => {
    const [a, b] = [await replica(), await replica()];
    let now = 0;
    const source = new ReplicaMetricsSource({ targets: async () => [a.url, b.url], utilization: 'auto', now: () => now });

    // One reading is not a ratio yet.
    expect(await source.read()).toEqual({ reporting: 2, lag: 0 });
    a.busyFor(1.8); // 90 % of the next 2 s
    b.busyFor(0.6); // 30 %
    a.setLag(40);
    b.setLag(55);
    now += 2000;
    const signals = await source.read();
    expect(signals.utilizationKind).toBe('busy');
    expect(signals.utilization).toBeCloseTo(0.6);
    expect(signals.lag).toBe(55);

    // Handling time beyond wall time (overlapping batches) is capped at 1.
    a.busyFor(5);
    now += 1000;
    expect((await source.read()).utilization).toBeCloseTo(0.5); // (1 + 0) / 2
  });

  it('prefers GPU utilisation where a replica reports it (auto), and can be told which one to use', async () => {
    const [gpuReplica, cpuReplica] = [await replica(), await replica()];
    gpuReplica.gpu(0.92);
    let now = 0;
    const targets = async () => [gpuReplica.url, cpuReplica.url];
    const auto = new ReplicaMetricsSource({ targets, utilization: 'auto', now: () => now });
    const busyOnly = new ReplicaMetricsSource({ targets, utilization: 'busy', now: () => now });
    await busyOnly.read();
    now += 1000;
    expect(await auto.read()).toMatchObject({ utilization: 0.92, utilizationKind: 'gpu', reporting: 2 });
    expect(await busyOnly.read()).toMatchObject({ utilization: 0, utilizationKind: 'busy' });
  });

  it('leaves out replicas that do not answer, and reports nothing when none does', async () => {
    const live = await replica();
    live.gpu(0.4);
    const source = new ReplicaMetricsSource({
      targets: async () => [live.url, 'http://127.0.0.1:1/metrics'],
      utilization: 'gpu',
      timeoutMs: 1000,
    });
    expect(await source.read()).toMatchObject({ utilization: 0.4, reporting: 1 });
    const none = new ReplicaMetricsSource({ targets: async () => ['http://127.0.0.1:1/metrics'], utilization: 'auto' });
    expect(await none.read()).toEqual({ reporting: 0 });
  });
});

describe('resolveMetricsTargets', () => {
  it('expands a service name into one URL per replica address and keeps literal addresses', async () => {
    const resolve = async (host: string) => (host === 'inference' ? ['127.0.0.2', '127.0.0.3', '127.0.0.2', '::1'] : []);
    expect(await resolveMetricsTargets(['http://inference:3002/metrics', 'http://127.0.0.9:3002/metrics'], resolve)).toEqual([
      'http://127.0.0.2:3002/metrics',
      'http://127.0.0.3:3002/metrics',
      'http://[::1]:3002/metrics',
      'http://127.0.0.9:3002/metrics',
    ]);
  });

  it('yields no target for a name that does not resolve (no replica yet)', async () => {
    const resolve = async () => {
      throw new Error('ENOTFOUND');
    };
    expect(await resolveMetricsTargets(['http://inference:3002/metrics'], resolve)).toEqual([]);
  });
});
