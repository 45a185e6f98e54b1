/**
 * The built autoscaler service with its production backend (compose) and the Prometheus signal source: a real
 * Prometheus scrapes a GPU utilisation series; the app sees it above the threshold for the window and runs the scale
 * command. There is no Docker engine here, so the docker executable is a stand-in script that records its argv and
 * answers `ps` with one running inference container.
 */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@sightline/fleet';
import { ManagedProcess, freePort, makeTempDir, waitForPort } from '@sightline/local-infra';
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('autoscaler service (compose backend, Prometheus source)', () => {
  let dir: string;
  let inferenceMetrics: Server;
  let prometheus: ManagedProcess;
  let app: ManagedProcess;
  let appUrl: string;
  const argvFile = () => join(dir, 'docker-argv');

  beforeAll(async () => {
    await promisify(execFile)('node_modules/.bin/tsc', ['-b', 'apps/autoscaler'], { cwd: REPO_ROOT });
    dir = await makeTempDir('sightline-autoscaler-app-');

    // What an inference replica on a busy GPU exports.
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'inference' });
    new Gauge({ name: 'sightline_gpu_utilization_ratio', help: 'h', labelNames: ['gpu'], registers: [registry] }).set({ gpu: '0' }, 0.95);
    inferenceMetrics = createServer((_req, res) => void registry.metrics().then((text) => res.end(text)));
    const metricsPort = await freePort();
    await new Promise<void>((resolve) => inferenceMetrics.listen(metricsPort, '127.0.0.1', resolve));

    const prometheusPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: inference\n    static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }]\n`,
    );
    prometheus = new ManagedProcess(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ],
      { name: 'prometheus' },
    ).start();
    await waitForPort(prometheusPort, '127.0.0.1', 30_000);

    const docker = join(dir, 'docker');
    writeFileSync(
      docker,
      [
        '#!/bin/sh',
        `echo "$*" >> ${argvFile()}`,
        'case " $* " in *" ps "*) echo \'{"Service":"inference","State":"running"}\' ;; esac',
      ].join('\n'),
    );
    chmodSync(docker, 0o755);

    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    app = new ManagedProcess(process.execPath, [join(REPO_ROOT, 'apps/autoscaler/dist/main.js')], {
      name: 'autoscaler',
      env: {
        PATH: process.env.PATH,
        HTTP_PORT: String(port),
        AUTOSCALER_SOURCE: 'prometheus',
        AUTOSCALER_PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`,
        AUTOSCALER_DOCKER_BIN: docker,
        // The backend runs compose in the project directory, so it must exist.
        AUTOSCALER_COMPOSE_PROJECT_DIR: dir,
        AUTOSCALER_INTERVAL_MS: '300',
        AUTOSCALER_WINDOW_MS: '1000',
        AUTOSCALER_COOLDOWN_MS: '600000',
        AUTOSCALER_DRY_RUN: 'false',
      },
    }).start();
    await app.waitForLine(/"message":"service started"/, 30_000);
  });

  afterAll(async () => {
    await app?.stop();
    await prometheus?.stop();
    await new Promise((r) => inferenceMetrics?.close(r));
  });

  it('scales inference up by one through docker compose when Prometheus reports the GPU above 80 % for the window', async () => {
    const status = await until('a scale-up decision', async () => {
      const body = (await (await fetch(`${appUrl}/autoscaler/status`)).json()) as {
        lastDecision: { action: string } | null;
      };
      return body.lastDecision?.action === 'scale_up' ? body : undefined;
    });
    expect(status.lastDecision).toMatchObject({
      action: 'scale_up',
      replicas: 1,
      target: 2,
      signals: { utilization: 0.95, utilizationKind: 'promql' },
    });

    const commands = readFileSync(argvFile(), 'utf8').trim().split('\n');
    expect(commands).toContain(
      `compose --project-directory ${dir} --project-name sightline up --detach --no-recreate --scale inference=2 inference`,
    );
    expect(commands[0]).toBe(`compose --project-directory ${dir} --project-name sightline ps --format json --status running inference`);

    const metrics = await (await fetch(`${appUrl}/metrics`)).text();
    expect(metrics).toMatch(/^sightline_autoscaler_decisions_total\{action="scale_up",dry_run="false",service="autoscaler"\} 1$/m);
    expect(metrics).toMatch(/^sightline_autoscaler_utilization_ratio\{service="autoscaler"\} 0.95$/m);
    expect((await fetch(`${appUrl}/health/ready`)).status).toBe(200);
  });
});
