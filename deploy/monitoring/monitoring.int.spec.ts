/**
 * Monitoring configuration checked with the real tools (Debian `prometheus`, `prometheus-alertmanager`), rules
 * unit-tested with promtool, dashboards and rules cross-checked against the metrics the code exports, and a real
 * Prometheus scraping a running service. Elasticsearch is not packaged for Debian and no registry answers here: the
 * log pipeline's user set-up script runs against a stand-in that records the security API requests it receives.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LocalNatsServer, ManagedProcess, freePort, makeTempDir } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const repo = join(here, '..', '..');
const run = (cmd: string, args: string[], cwd = here) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe' });

function sourceFiles(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && pattern.test(e.name) && !/node_modules|dist/.test(join(e.parentPath, e.name)))
    .map((e) => join(e.parentPath, e.name));
}

/** Every `sightline_*` metric the code defines (prom-client `name: '…'`) or writes (backup text-file exporter). */
function exportedMetricNames(): Set<string> {
  const names = new Set<string>();
  const files = [
    ...sourceFiles(join(repo, 'apps'), /\.ts$/),
    ...sourceFiles(join(repo, 'libs'), /\.ts$/),
    ...sourceFiles(join(repo, 'deploy', 'backup'), /\.(sh|ts|mjs|js|py)$/),
  ].filter((f) => !/\.spec\.ts$/.test(f));
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\b(sightline_[a-z0-9_]+)\b/g)) names.add(m[1]!);
  }
  return names;
}

/** Metric names used in PromQL, with histogram/summary suffixes and recording-rule names (`a:b:c`) removed. */
function referencedMetrics(promql: string): string[] {
  return [...promql.matchAll(/\b(sightline_[a-z0-9_]+)\b/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

describe('monitoring configuration', () => {
  it('prometheus.yml is valid (promtool check config)', async () => {
    const dir = await makeTempDir('prom-check');
    const config = readFileSync(join(here, 'prometheus/prometheus.yml'), 'utf8').replace(
      '/etc/prometheus/rules/*.yml',
      join(here, 'prometheus/rules/*.yml'),
    );
    writeFileSync(join(dir, 'prometheus.yml'), config);
    expect(run('promtool', ['check', 'config', join(dir, 'prometheus.yml')])).toMatch(/SUCCESS/);
  });

  it('alert and recording rules pass their promtool unit tests', () => {
    const out = run('promtool', ['test', 'rules', 'sightline.test.yml'], join(here, 'prometheus/tests'));
    expect(out).toMatch(/SUCCESS/);
  });

  it('every alert has a severity, a summary and a runbook section that exists', () => {
    const rules = readFileSync(join(here, 'prometheus/rules/sightline.yml'), 'utf8');
    const runbook = readFileSync(join(repo, 'docs/monitoring.md'), 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const alert of alerts) {
      const block = rules.slice(rules.indexOf(`- alert: ${alert}`)).split('- alert:')[1]!;
      expect(block, alert).toMatch(/severity: (warning|critical)/);
      expect(block, alert).toMatch(/summary: /);
      expect(block, alert).toContain(`monitoring.md#${alert.toLowerCase()}`);
      expect(runbook, `docs/monitoring.md lacks a section for ${alert}`).toMatch(new RegExp(`^#+ ${alert}$`, 'm'));
    }
  });

  it('alertmanager.yml is valid (amtool check-config) and inhibits latency alerts of a service that is down', () => {
    expect(run('amtool', ['check-config', 'alertmanager/alertmanager.yml'])).toMatch(/SUCCESS/);
    const config = readFileSync(join(here, 'alertmanager/alertmanager.yml'), 'utf8');
    expect(config).toMatch(/source_matchers: \['alertname="SightlineServiceDown"'\]\s+target_matchers: \['category="latency"'\]/);
    expect(config).not.toMatch(/hooks\.slack\.com/);
  });

  it('dashboards parse and every metric they and the rules use is exported by some service', () => {
    const exported = exportedMetricNames();
    const used = new Map<string, string>();
    for (const file of sourceFiles(join(here, 'grafana/dashboards'), /\.json$/)) {
      const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
      expect(dashboard.panels.length).toBeGreaterThan(0);
      for (const panel of dashboard.panels) {
        expect(panel.targets.length, panel.title).toBeGreaterThan(0);
        for (const target of panel.targets) for (const m of referencedMetrics(target.expr)) used.set(m, relative(repo, file));
      }
    }
    const rules = readFileSync(join(here, 'prometheus/rules/sightline.yml'), 'utf8');
    for (const m of referencedMetrics(rules)) used.set(m, 'prometheus/rules/sightline.yml');
    const missing = [...used].filter(([m]) => !exported.has(m)).map(([m, where]) => `${m} (${where})`);
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });
});

describe('a real Prometheus scraping a running service', () => {
  let nats: LocalNatsServer;
  let service: ManagedProcess;
  let prometheus: ManagedProcess;
  let promPort: number;

  beforeAll(async () => {
    const dir = await makeTempDir('prom');
    nats = await LocalNatsServer.start({ dataDir: join(dir, 'nats') });
    const servicePort = await freePort();
    // The gateway needs only NATS (its token keys are fetched lazily), so it is the cheapest real service to scrape.
    service = new ManagedProcess(process.execPath, [join(repo, 'apps/gateway/dist/main.js')], {
      name: 'gateway',
      env: { ...process.env, NATS_URL: nats.url, HTTP_PORT: String(servicePort) },
    }).start();
    await service.waitForLine(/service started/, 60_000);
    promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: gateway\n    static_configs: [{ targets: ['127.0.0.1:${servicePort}'] }]\n`,
    );
    prometheus = new ManagedProcess(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { name: 'prometheus' },
    ).start();
    await prometheus.waitForLine(/Server is ready to receive web requests/, 30_000);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await service?.stop();
    await nats?.stop();
  });

  it('sees the service up with its metrics, names and labels', async () => {
    const query = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    };
    const deadline = Date.now() + 30_000;
    let up: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() < deadline && !(up = await query('up{job="gateway"} == 1')).length) await new Promise((r) => setTimeout(r, 500));
    expect(up).toHaveLength(1);
    const clients = await query('sightline_gateway_clients');
    expect(clients[0]?.metric).toMatchObject({ job: 'gateway', service: 'gateway' });
    const cpu = await query('process_cpu_seconds_total{service="gateway"}');
    expect(cpu).toHaveLength(1);
  });
});

describe("elasticsearch/setup.sh (the log pipeline's users) against a recording stand-in of the security API", () => {
  interface Recorded {
    method: string;
    url: string;
    authorization: string;
    body: string;
  }
  const PASSWORDS = {
    ELASTIC_PASSWORD: 'e'.repeat(24),
    KIBANA_SYSTEM_PASSWORD: 'k'.repeat(24),
    FLUENTD_ES_PASSWORD: 'f'.repeat(24),
    ELASTALERT_ES_PASSWORD: 'a'.repeat(24),
  };
  const script = join(here, 'elasticsearch/setup.sh');
  let server: Server;
  let recorded: Recorded[] = [];
  /** Requests to this path are refused with 403, as Elasticsearch refuses a user without the privilege. */
  let refuse = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        recorded.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization ?? '', body });
        res.writeHead(req.url === refuse ? 403 : 200, { 'content-type': 'application/json' });
        res.end(req.url === refuse ? '{"error":"action is unauthorized"}' : '{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => server?.close());

  const setup = (env: Record<string, string>) =>
    promisify(execFile)('bash', [script], {
      env: { PATH: process.env.PATH, ES_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`, ...env },
    });

  it('writes the roles and users as the superuser, each user with its own role and password from the environment', async () => {
    recorded = [];
    refuse = '';
    await setup(PASSWORDS);
    const superuser = `Basic ${Buffer.from(`elastic:${PASSWORDS.ELASTIC_PASSWORD}`).toString('base64')}`;
    expect(recorded.every((r) => r.authorization === superuser)).toBe(true);
    const role = (name: string) => JSON.parse(readFileSync(join(here, `elasticsearch/roles/${name}.json`), 'utf8'));
    expect(recorded.map(({ method, url, body }) => ({ method, url, body: body && JSON.parse(body) }))).toEqual([
      { method: 'GET', url: '/_security/_authenticate', body: '' },
      { method: 'PUT', url: '/_security/role/sightline_log_writer', body: role('sightline_log_writer') },
      { method: 'PUT', url: '/_security/role/sightline_log_alerter', body: role('sightline_log_alerter') },
      {
        method: 'POST',
        url: '/_security/user/sightline_fluentd',
        body: { password: PASSWORDS.FLUENTD_ES_PASSWORD, roles: ['sightline_log_writer'] },
      },
      {
        method: 'POST',
        url: '/_security/user/sightline_elastalert',
        body: { password: PASSWORDS.ELASTALERT_ES_PASSWORD, roles: ['sightline_log_alerter'] },
      },
      { method: 'POST', url: '/_security/user/kibana_system/_password', body: { password: PASSWORDS.KIBANA_SYSTEM_PASSWORD } },
    ]);
    // Only the alerter reads logs; no pipeline role may manage the cluster or delete.
    expect(role('sightline_log_writer').indices.flatMap((i: { privileges: string[] }) => i.privileges)).not.toContain('read');
    expect(JSON.stringify([role('sightline_log_writer').cluster, role('sightline_log_alerter').cluster])).toBe('[["monitor"],["monitor"]]');
  });

  it('fails, naming the request and the answer, when Elasticsearch refuses a step', async () => {
    recorded = [];
    refuse = '/_security/user/sightline_fluentd';
    const failure = (await setup(PASSWORDS).catch((err: unknown) => err)) as { code: number; stderr: string };
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toContain('POST /_security/user/sightline_fluentd answered 403');
    // Nothing after the refused step was attempted.
    expect(recorded.at(-1)?.url).toBe(refuse);
  });

  it('refuses a password that is missing or would break out of the JSON body, before any request', async () => {
    recorded = [];
    refuse = '';
    for (const env of [
      { ...PASSWORDS, FLUENTD_ES_PASSWORD: `${'x'.repeat(20)}","roles":["superuser` },
      { ...PASSWORDS, KIBANA_SYSTEM_PASSWORD: '' },
    ]) {
      const failure = (await setup(env).catch((err: unknown) => err)) as { code: number; stderr: string };
      expect(failure.code).toBe(1);
      expect(failure.stderr).toMatch(/must be at least 16 letters, digits, - or _/);
    }
    expect(recorded).toEqual([]);
  });
});
