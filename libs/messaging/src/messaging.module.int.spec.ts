import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { freePort, LocalNatsServer, makeTempDir, waitUntil } from '@sightline/local-infra';
import { ObservabilityModule, createLogger } from '@sightline/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagingModule } from './messaging.module.js';
import { NatsClient } from './connection.js';

describe('a Nest service with observability and messaging', () => {
  let nats: LocalNatsServer;
  let app: Awaited<ReturnType<typeof NestFactory.create>>;
  let base: string;
  const logged: string[] = [];

  beforeAll(async () => {
    nats = await LocalNatsServer.start({ dataDir: await makeTempDir('svc') });
    const logger = createLogger('probe');
    // Capture what the JSON transport writes, to check the line format.
    logger.on('data', (info) => logged.push(JSON.stringify(info)));
    @Module({
      imports: [ObservabilityModule.forRoot({ service: 'probe', logger }), MessagingModule.forRoot({ url: nats.url, name: 'probe' })],
    })
    class ProbeModule {}
    app = await NestFactory.create(ProbeModule, { logger: false });
    app.enableShutdownHooks();
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await app?.close();
    await nats?.stop();
  });

  it('serves Prometheus text on /metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toMatch(/^# HELP process_cpu_user_seconds_total/m);
    expect(body).toContain('service="probe"');
  });

  it('reports NATS down on /health while nats-server is stopped, and recovers without a restart', async () => {
    const health = async () => {
      const res = await fetch(`${base}/health`);
      return { status: res.status, body: (await res.json()) as { checks: { nats: { up: boolean } } } };
    };
    expect(await health()).toMatchObject({ status: 200, body: { checks: { nats: { up: true } } } });
    await nats.stop();
    await waitUntil(async () => (await health()).status === 503, '/health to report NATS down', 20_000);
    expect((await health()).body.checks.nats.up).toBe(false);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    await nats.start();
    await waitUntil(async () => (await health()).status === 200, '/health to recover', 20_000);
    // The same client object keeps working after the reconnect.
    const client = app.get(NatsClient);
    await expect(client.manager.streams.info('RESULTS')).resolves.toBeTruthy();
  });

  it('logs one JSON object per line with service, level and time', () => {
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) {
      const record = JSON.parse(line);
      expect(record).toMatchObject({ service: 'probe', level: expect.any(String), message: expect.any(String) });
    }
    expect(logged.some((l) => l.includes('nats disconnected'))).toBe(true);
  });
});
