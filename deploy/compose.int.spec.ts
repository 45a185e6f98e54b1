/**
 * The compose fleet as an operator gets it: the deploy workflow's file set (deploy/ship-files.txt) copied to a fresh
 * directory, prepared by deploy/docker/prepare-host.sh, then validated and normalised by the real compose CLI
 * (`docker compose config`; Debian's `docker-compose` where the v2 plugin is missing). No engine is needed. The
 * normalised config is then checked against the repository: every app has an image built from the Dockerfile and a
 * service with a health check, inference can be scaled, every documented variable exists, and the NATS configs load
 * in a real nats-server. The containers themselves run in deploy/containers/ (`npm run test:containers`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ManagedProcess, freePort, makeTempDir, plaintextNatsExchange, waitUntil } from '@sightline/local-infra';
import { DATABASE_GRANTS, DATABASE_SERVICES } from '@sightline/db';
import { silentLogger } from '@sightline/contracts';
import { NATS_IDENTITIES, NatsClient, natsAuthorizationConfig } from '@sightline/messaging';
import { deployInto } from './containers/support.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const APPS = readdirSync(join(ROOT, 'apps')).filter((name) => existsSync(join(ROOT, 'apps', name, 'package.json')));
const PROFILES = ['autoscaler', 'nats-cluster', 'observability'];

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string; args?: Record<string, string> };
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  ports?: unknown[];
  container_name?: string;
  env_file?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  depends_on?: Record<string, { condition?: string }>;
  network_mode?: string;
  command?: string[];
  deploy?: {
    resources?: {
      limits?: { cpus?: string | number; memory?: string };
      reservations?: { devices?: Array<{ driver?: string; count?: number | string; capabilities?: string[] }> };
    };
  };
}

/** The compose CLI available here: the v2 plugin, else Debian's docker-compose (v1 syntax of the same command). */
function composeCommand(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return ['docker', 'compose'];
  } catch {
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
      return ['docker-compose'];
    } catch {
      throw new Error('no compose CLI: install the docker compose v2 plugin or Debian package docker-compose');
    }
  }
}

async function composeConfig(dir: string, files: string[]): Promise<{ services: Record<string, ComposeService> }> {
  const [command, ...prefix] = composeCommand();
  const args = [...prefix, ...files.flatMap((f) => ['-f', f]), ...PROFILES.flatMap((p) => ['--profile', p]), 'config'];
  const { stdout } = await run(command, args, { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  return parse(stdout) as { services: Record<string, ComposeService> };
}

/** Variable names an env example mentions, set or commented out (`# NAME=default`). */
function documentedVariables(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
}

describe('docker-compose.yml', () => {
  let project: string;
  let services: Record<string, ComposeService>;
  const dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
  const declared = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };

  beforeAll(async () => {
    project = await makeTempDir('sightline-compose-');
    // Exactly what the deploy workflow ships to a fresh host (deploy/ship-files.txt).
    deployInto(project);
    await run('bash', [join(project, 'deploy/docker/prepare-host.sh')]);
    ({ services } = await composeConfig(project, ['docker-compose.yml']));
  });

  it('prepare-host.sh makes .env with generated secrets and one env file per example, and is idempotent', async () => {
    const env = readFileSync(join(project, '.env'), 'utf8');
    for (const secret of [
      'POSTGRES_PASSWORD',
      'POSTGRES_AUTH_PASSWORD',
      'POSTGRES_PERSISTENCE_PASSWORD',
      'POSTGRES_TRACKER_PASSWORD',
      'BACKUP_S3_SECRET_KEY',
      'BACKUP_REPO_CIPHER_PASS',
    ]) {
      expect(env).toMatch(new RegExp(`^${secret}=[0-9a-f]{48}$`, 'm'));
    }
    for (const identity of NATS_IDENTITIES) expect(env).toMatch(new RegExp(`^NATS_${identity.toUpperCase()}_PASSWORD=n[0-9a-f]{48}$`, 'm'));
    expect(env).toContain(`SIGHTLINE_HOME=${project}`);
    const { stdout } = await run('bash', [join(project, 'deploy/docker/prepare-host.sh')]);
    expect(stdout.trim().split('\n')).toEqual(['ready: docker compose pull && docker compose up -d']);
    expect(readFileSync(join(project, '.env'), 'utf8')).toBe(env);
    expect(existsSync(join(project, 'var/media'))).toBe(true);
  });

  it("builds ingest with Debian's FFmpeg, which it runs instead of the npm static build", () => {
    expect(services.ingest.build?.target).toBe('ingest');
    const stage = /^FROM service AS ingest$([\s\S]*?)^FROM /m.exec(dockerfile)?.[1] ?? '';
    expect(stage).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
    expect(stage).toMatch(/^ENV FFMPEG_PATH=\/usr\/bin\/ffmpeg$/m);
  });

  it('has, for every app in apps/, an image built from the Dockerfile and a service with a health check', () => {
    expect(APPS).toEqual(expect.arrayContaining(['auth', 'inference', 'persistence', 'gateway', 'ingest', 'autoscaler']));
    for (const app of APPS) {
      const service = services[app];
      expect(service, `compose service for apps/${app}`).toBeDefined();
      expect(service.image).toMatch(new RegExp(`/sightline-${app}:`));
      expect(service.build?.dockerfile).toBe('deploy/docker/Dockerfile');
      expect(service.build?.args?.APP).toBe(app);
      expect(dockerfile).toMatch(new RegExp(`^FROM .+ AS ${service.build?.target}$`, 'm'));
      const port = service.build?.args?.PORT;
      expect(readFileSync(join(ROOT, 'apps', app, 'src/config.ts'), 'utf8')).toContain(`HTTP_PORT: env.port(${port})`);
      expect(service.healthcheck?.test).toEqual(['CMD', 'node', '/usr/local/lib/sightline/healthcheck.mjs', 'ready']);
      expect(service.restart).toBe('unless-stopped');
      expect(service.deploy?.resources?.limits?.memory).toBeTruthy();
      // `config` inlines env files into `environment`, so the declaration is read from the file itself.
      expect(declared.services[app].env_file).toEqual([`deploy/env/${app}.env`]);
    }
  });

  it('gives the infrastructure health checks, restart policies and resource limits too', () => {
    for (const name of ['nats', 'nats-2', 'nats-3', 'postgres', 'backup', 'minio', 'proxy']) {
      expect(services[name].healthcheck?.test, name).toBeTruthy();
      expect(services[name].restart, name).toBe('unless-stopped');
      expect(services[name].deploy?.resources?.limits, name).toBeTruthy();
    }
    expect(services['nats-2'].profiles).toEqual(['nats-cluster']);
    expect(services.autoscaler.profiles).toEqual(['autoscaler']);
    // WAL archiving (requirements §9.2, the backup image): the database's entrypoint turns archiving on, to MinIO over TLS.
    const postgres = services.postgres as ComposeService & { entrypoint?: string[] };
    expect(postgres.entrypoint).toEqual(['/opt/sightline-backup/bin/postgres-entrypoint.sh']);
    expect(postgres.build?.dockerfile).toBe('deploy/backup/Dockerfile');
    expect(postgres.environment).toMatchObject({ BACKUP_S3_HOST: 'minio', BACKUP_ARCHIVE_TIMEOUT_S: '60', BACKUP_RETENTION_DAYS: '7' });
    expect(readFileSync(join(ROOT, 'deploy/backup/bin/postgres-entrypoint.sh'), 'utf8')).toContain('archive_mode=on');
  });

  it('lets inference run as N replicas, each reserving one NVIDIA GPU with the GPU override', async () => {
    const inference = services.inference;
    expect(inference.container_name).toBeUndefined();
    expect(inference.ports).toBeUndefined();
    expect(inference.build?.target).toBe('inference-gpu');
    expect(inference.deploy?.resources?.reservations?.devices ?? []).toEqual([]);
    const gpu = (await composeConfig(project, ['docker-compose.yml', 'deploy/docker/compose.gpu.yml'])).services.inference;
    expect(gpu.build?.target).toBe('inference-gpu');
    expect(gpu.deploy?.resources?.reservations?.devices).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    // prepare-host.sh's .env selects the GPU override unless the operator picks the CPU one.
    expect(readFileSync(join(project, '.env'), 'utf8')).toMatch(/^COMPOSE_FILE=docker-compose\.yml:deploy\/docker\/compose\.gpu\.yml$/m);
    // Only the TLS proxy publishes host ports.
    const published = Object.entries(services)
      .filter(([, s]) => s.ports?.length)
      .map(([name]) => name);
    expect(published).toEqual(['proxy']);
  });

  it('has a CPU-only override: the CPU image and no GPU reservation (the same with Compose v1 and v2)', async () => {
    const merged = (await composeConfig(project, ['docker-compose.yml', 'deploy/docker/compose.cpu.yml'])).services.inference;
    expect(merged.image).toMatch(/sightline-inference:.+-cpu$/);
    expect(merged.build?.target).toBe('service');
    expect(merged.environment?.INFERENCE_PROVIDER).toBe('cpu');
    expect(merged.deploy?.resources?.reservations?.devices ?? []).toEqual([]);
  });

  it('documents only variables the services really read, in one env example per service', () => {
    for (const app of APPS) {
      const example = join(ROOT, `deploy/env/${app}.env.example`);
      expect(existsSync(example), example).toBe(true);
      const config = readFileSync(join(ROOT, 'apps', app, 'src/config.ts'), 'utf8');
      const unknown = documentedVariables(example).filter((name) => !readsVariable(config, name));
      expect(unknown, `variables in ${app}.env.example that apps/${app}/src/config.ts does not read`).toEqual([]);
    }
  });

  it('ships NATS configurations (single server and cluster node) that nats-server accepts', async () => {
    for (const conf of ['single.conf', 'cluster.conf']) {
      const { stdout, stderr } = await run('nats-server', ['-c', conf, '-t'], {
        cwd: await shippedNatsConfigs(),
        env: { ...process.env, NATS_SERVER_NAME: 'test-node', ...NATS_PASSWORDS },
      });
      expect(stdout + stderr).toContain(`configuration file ${conf} is valid`);
    }
  });

  it('runs NATS with one identity per service, written once in libs/messaging, and monitoring on loopback only', async () => {
    const expected = natsAuthorizationConfig((id) => `$NATS_${id.toUpperCase()}_PASSWORD`);
    expect(readFileSync(join(ROOT, 'deploy/docker/nats/authorization.conf'), 'utf8')).toContain(expected);
    const single = readFileSync(join(ROOT, 'deploy/docker/nats/single.conf'), 'utf8');
    expect(single).toMatch(/^include authorization.conf$/m);
    expect(single).toMatch(/^http: 127\.0\.0\.1:8222$/m);
    // Without the passwords nats-server refuses to start (no silent fallback to an open server).
    const { stderr } = await run('nats-server', ['-c', 'single.conf', '-t'], {
      cwd: await shippedNatsConfigs(),
      env: { PATH: process.env.PATH, NATS_SERVER_NAME: 'test-node' },
    }).catch((err: { stderr: string }) => err);
    expect(stderr).toMatch(/NATS_PROVISIONER_PASSWORD/);
    for (const identity of ['ingest', 'inference', 'persistence', 'gateway', 'tracker']) {
      expect(services[identity].environment).toMatchObject({
        NATS_USER: identity,
        NATS_PASSWORD: expect.stringMatching(/^n[0-9a-f]{48}$/),
      });
      // The provisioner stays up (it re-creates the streams after a NATS restart); the services wait for the streams.
      expect(declared.services[identity].depends_on).toMatchObject({ 'nats-provision': { condition: 'service_started' } });
    }
    expect(services['nats-provision']).toMatchObject({ restart: 'unless-stopped', environment: { NATS_USER: 'provisioner' } });
    expect(services['nats-exporter']).toMatchObject({ network_mode: 'service:nats' });
  });

  it('runs NATS over TLS: certificates from prepare-host.sh, the server key only in the NATS nodes, the CA in every client', async () => {
    const tls = join(project, 'var/nats-tls');
    const mode = (path: string) => statSync(join(tls, path)).mode & 0o777;
    expect({ caKey: mode('ca.key'), serverKey: mode('server/server.key'), trust: mode('trust'), trustedCa: mode('trust/ca.crt') }).toEqual({
      caKey: 0o600,
      serverKey: 0o600,
      trust: 0o755,
      trustedCa: 0o644,
    });
    expect(readdirSync(join(tls, 'trust'))).toEqual(['ca.crt']);
    const server = new X509Certificate(readFileSync(join(tls, 'server/server.crt')));
    expect(server.verify(new X509Certificate(readFileSync(join(tls, 'trust/ca.crt'))).publicKey)).toBe(true);
    for (const host of ['nats', 'nats-2', 'nats-3']) expect(server.checkHost(host)).toBe(host);
    // Never in git: var/ is ignored.
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^var\/$/m);

    // Compose v2 writes volumes as objects, v1 as `source:target[:ro]`: both as `<path under var/nats-tls>:target[:ro]`.
    type Volume = string | { source?: string; target: string; read_only?: boolean };
    const mounts = (name: string) =>
      ((services[name] as ComposeService & { volumes?: Volume[] }).volumes ?? [])
        .map((v) => (typeof v === 'string' ? v : `${v.source ?? ''}:${v.target}${v.read_only ? ':ro' : ''}`))
        .filter((v) => v.startsWith(tls))
        .map((v) => v.slice(tls.length));
    for (const node of ['nats', 'nats-2', 'nats-3']) expect(mounts(node)).toEqual(['/server:/etc/nats-tls:ro']);
    for (const client of ['nats-provision', 'ingest', 'inference', 'persistence', 'gateway', 'tracker']) {
      expect(mounts(client), client).toEqual(['/trust:/etc/sightline/nats-tls:ro']);
      expect(services[client].environment, client).toMatchObject({ NATS_TLS_CA_FILE: '/etc/sightline/nats-tls/ca.crt' });
    }
    const others = Object.keys(services).filter(
      (name) => !/^nats(-[23]|-provision)?$|^(ingest|inference|persistence|gateway|tracker)$/.test(name),
    );
    for (const name of others) expect(mounts(name), `${name} mounts nothing of var/nats-tls`).toEqual([]);
  });

  it('connects each database service with its own role, provisioned by the owner before they start', () => {
    const roleOf = (service: string) => new URL(services[service].environment!.DATABASE_URL).username;
    for (const service of DATABASE_SERVICES) {
      expect(roleOf(service)).toBe(DATABASE_GRANTS[service].role);
      expect(declared.services[service].depends_on).toMatchObject({ 'db-provision': { condition: 'service_completed_successfully' } });
      // The password db-provision gives the role is the one the service connects with.
      const password = services['db-provision'].environment![`DATABASE_${service.toUpperCase()}_PASSWORD`];
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(new URL(services[service].environment!.DATABASE_URL).password).toBe(password);
    }
    // Only db-provision holds the owner's password.
    const owner = services['db-provision'].environment!.DATABASE_URL;
    expect(new URL(owner).username).toBe('sightline');
    const holders = Object.entries(services).filter(([, s]) =>
      Object.values(s.environment ?? {}).some((v) => String(v).includes(new URL(owner).password)),
    );
    expect(holders.map(([name]) => name).filter((name) => !['db-provision', 'postgres', 'backup'].includes(name))).toEqual([]);
    expect(services['db-provision']).toMatchObject({ restart: 'no', command: ['node', 'libs/db/dist/provision-main.js'] });
  });

  it('confines ingest, which decodes untrusted video: read-only, non-root, no capabilities, default seccomp, no other secret', () => {
    const ingest = services.ingest as ComposeService & {
      read_only?: boolean;
      cap_drop?: string[];
      cap_add?: string[];
      security_opt?: string[];
      privileged?: boolean;
      user?: string;
    };
    expect(ingest).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
    expect(ingest.cap_add ?? []).toEqual([]);
    expect(ingest.privileged ?? false).toBe(false);
    // The image's user (ingest builds on the service stage, which ends as uid 10001; ingest switches back to it).
    expect(ingest.user).toBeUndefined();
    const stage = dockerfile.slice(dockerfile.indexOf('AS ingest\n'), dockerfile.indexOf('AS ingest-nvdec'));
    expect(
      stage
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('USER '))
        .at(-1),
    ).toBe('USER 10001:10001');
    // Docker's default seccomp profile stays in force everywhere: no service turns it off.
    for (const [name, service] of Object.entries(services)) {
      expect((service as { security_opt?: string[] }).security_opt ?? [], name).not.toContainEqual(
        expect.stringMatching(/seccomp[=:]unconfined/),
      );
    }
    // A compromised decoder gets ingest's NATS identity and nothing else of .env: no database, backup or log secret.
    const env = readFileSync(join(project, '.env'), 'utf8');
    const otherSecrets = [...env.matchAll(/^([A-Z_]*(?:PASSWORD|SECRET|PASS|KEY)[A-Z_]*)=(.+)$/gm)].filter(
      ([, key]) => key !== 'NATS_INGEST_PASSWORD' && key !== 'BACKUP_S3_ACCESS_KEY',
    );
    expect(otherSecrets.length).toBeGreaterThan(10);
    const ingestEnv = Object.values(ingest.environment ?? {}).join('\n');
    expect(otherSecrets.filter(([, , value]) => ingestEnv.includes(value!)).map(([, key]) => key)).toEqual([]);
  });

  it('encrypts the backup repository with a passphrase from .env, given to the database and backup containers only', () => {
    for (const name of ['postgres', 'backup']) {
      expect(services[name].environment).toMatchObject({
        BACKUP_REPO_CIPHER_TYPE: 'aes-256-cbc',
        PGBACKREST_REPO1_CIPHER_PASS: expect.stringMatching(/^[0-9a-f]{48}$/),
      });
    }
    const pass = services.backup.environment!.PGBACKREST_REPO1_CIPHER_PASS;
    const holders = Object.entries(services)
      .filter(([, s]) => Object.values(s.environment ?? {}).includes(pass))
      .map(([name]) => name);
    expect(holders.sort()).toEqual(['backup', 'postgres']);
  });
});

describe('the shipped NATS configuration, run by a real nats-server', () => {
  const nodes: ManagedProcess[] = [];
  afterAll(async () => {
    for (const node of nodes) await node.stop('SIGTERM', 5000);
  });

  /**
   * A node of the shipped configuration in its own directory, on free loopback ports instead of the container's, with
   * the certificates of `tlsDir` (make-nats-certs.sh's layout), its cluster port, and routes to every node's cluster
   * port (its own included, as in the shipped list).
   */
  async function startNode(name: string, conf: 'single.conf' | 'cluster.conf', tlsDir: string, cluster = 0, routes: number[] = []) {
    const [client, http] = [await freePort(), await freePort()];
    const dir = await makeTempDir(`sightline-nats-${name}-`);
    const shipped = await shippedNatsConfigs();
    for (const file of readdirSync(shipped).filter((f) => f.endsWith('.conf'))) {
      const text = readFileSync(join(shipped, file), 'utf8')
        .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${client}`)
        .replace('http: 127.0.0.1:8222', `http: 127.0.0.1:${http}`)
        .replace('store_dir: /data/jetstream', `store_dir: ${JSON.stringify(join(dir, 'jetstream'))}`)
        .replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${cluster}`)
        .replace(/routes: \[[^\]]*\]/, `routes: [${routes.map((port) => `nats-route://127.0.0.1:${port}`).join(', ')}]`)
        .replaceAll(`${join(shipped, 'tls/server')}/`, `${join(tlsDir, 'server')}/`);
      writeFileSync(join(dir, file), text);
    }
    const node = new ManagedProcess('nats-server', ['-c', join(dir, conf)], {
      name,
      env: { PATH: process.env.PATH, NATS_SERVER_NAME: name, ...NATS_PASSWORDS },
    }).start();
    nodes.push(node);
    await node.waitForLine(/Server is ready/);
    const routez = async () =>
      ((await (await fetch(`http://127.0.0.1:${http}/routez`)).json()) as { routes?: { remote_id: string }[] }).routes ?? [];
    return { node, client, routez };
  }

  it('requires TLS of every client: plaintext is refused; a client trusting the CA connects as its identity', async () => {
    const shipped = await shippedNatsConfigs();
    const { client } = await startNode('single', 'single.conf', join(shipped, 'tls'));
    const reply = await plaintextNatsExchange(client, { user: 'ingest', pass: 'x' });
    expect(reply).toMatch(/"tls_required":true/);
    expect(reply).not.toMatch(/PONG/);
    const ingest = await NatsClient.connect({
      url: `nats://localhost:${client}`,
      name: 'shipped-tls',
      user: 'ingest',
      password: 'x',
      tls: { caFile: join(shipped, 'tls/trust/ca.crt') },
      logger: silentLogger,
    });
    await ingest.drain();
  });

  it('joins cluster nodes only over mutual TLS with the private CA: a node with another CA cannot open a route', async () => {
    const tls = join(await shippedNatsConfigs(), 'tls');
    const [portA, portB, portForeign] = [await freePort(), await freePort(), await freePort()];
    const a = await startNode('nats-a', 'cluster.conf', tls, portA, [portA, portB]);
    const b = await startNode('nats-b', 'cluster.conf', tls, portB, [portA, portB]);
    await waitUntil(async () => (await a.routez()).length === 1, 'nats-a and nats-b to route to each other', 30_000);

    // A node that trusts the cluster's CA (so it accepts nats-a's certificate) but presents a certificate another CA
    // signed: only nats-a's demand for a client certificate from its CA keeps it out.
    const foreignTls = await makeTempDir('sightline-nats-foreign-ca-');
    await run('bash', [join(ROOT, 'deploy/docker/make-nats-certs.sh'), foreignTls]);
    copyFileSync(join(tls, 'server/ca.crt'), join(foreignTls, 'server/ca.crt'));
    await startNode('nats-foreign', 'cluster.conf', foreignTls, portForeign, [portA, portForeign]);
    await a.node.waitForLine(/TLS route handshake error/, 30_000);
    expect(await a.routez()).toHaveLength(1);
    expect(await b.routez()).toHaveLength(1);
  });
});

/** The log pipeline's secrets in .env (prepare-host.sh) and the services that may hold each. */
const LOG_PIPELINE_SECRETS: Record<string, string[]> = {
  ELASTIC_PASSWORD: ['elasticsearch', 'elasticsearch-setup'],
  KIBANA_SYSTEM_PASSWORD: ['elasticsearch-setup', 'kibana'],
  KIBANA_ENCRYPTION_KEY: ['kibana'],
  FLUENTD_ES_PASSWORD: ['elasticsearch-setup', 'fluentd'],
  ELASTALERT_ES_PASSWORD: ['elastalert', 'elasticsearch-setup'],
  FLUENTD_FORWARD_SHARED_KEY: ['fluentd'],
};

describe('the log pipeline (profile observability)', () => {
  let services: Record<string, ComposeService>;
  let env: Map<string, string>;

  beforeAll(async () => {
    const project = await makeTempDir('sightline-compose-logs-');
    deployInto(project);
    await run('bash', [join(project, 'deploy/docker/prepare-host.sh')]);
    env = new Map([...readFileSync(join(project, '.env'), 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    ({ services } = await composeConfig(project, ['docker-compose.yml']));
  });

  it('gets its passwords and keys from .env, each only where it is used', () => {
    for (const [key, expected] of Object.entries(LOG_PIPELINE_SECRETS)) {
      const value = env.get(key);
      expect(value, key).toMatch(/^[0-9a-f]{48}$/);
      const holders = Object.entries(services)
        .filter(([, s]) => Object.values(s.environment ?? {}).some((v) => String(v).includes(value!)))
        .map(([name]) => name);
      expect(holders.sort(), key).toEqual(expected);
    }
  });

  it('runs Elasticsearch with security on, Kibana as kibana_system, Fluentd and ElastAlert as their own users', () => {
    expect(services.elasticsearch.environment).toMatchObject({
      'xpack.security.enabled': 'true',
      ELASTIC_PASSWORD: env.get('ELASTIC_PASSWORD'),
    });
    expect(services.elasticsearch.ports ?? []).toEqual([]);
    // The health check logs in (an unauthenticated request is refused once security is on), with the password the
    // container's shell expands (`$$` in compose's output): it is not written into the container's configuration.
    expect(services.elasticsearch.healthcheck?.test).toEqual([
      'CMD-SHELL',
      'curl -fs -u "elastic:$$ELASTIC_PASSWORD" http://127.0.0.1:9200/_cluster/health || exit 1',
    ]);
    expect(services.kibana.environment).toMatchObject({
      ELASTICSEARCH_USERNAME: 'kibana_system',
      ELASTICSEARCH_PASSWORD: env.get('KIBANA_SYSTEM_PASSWORD'),
    });
    expect(services.elastalert.environment).toMatchObject({
      ES_USERNAME: 'sightline_elastalert',
      ES_PASSWORD: env.get('ELASTALERT_ES_PASSWORD'),
    });
    // The users exist before their clients start: elasticsearch-setup runs once Elasticsearch is healthy.
    expect(services['elasticsearch-setup']).toMatchObject({
      restart: 'no',
      depends_on: { elasticsearch: { condition: 'service_healthy' } },
    });
    for (const client of ['kibana', 'fluentd', 'elastalert']) {
      expect(services[client].depends_on, client).toEqual({
        'elasticsearch-setup': expect.objectContaining({ condition: 'service_completed_successfully' }),
      });
    }
  });

  it('has Fluentd demand the shared key on its forward port and write to Elasticsearch as the least-privileged writer', () => {
    const conf = readFileSync(join(ROOT, 'deploy/monitoring/fluentd/fluent.conf'), 'utf8');
    const forward = /<source>\s+@type forward[\s\S]*?<\/source>/.exec(conf)?.[0] ?? '';
    expect(forward).toMatch(/<security>[\s\S]*shared_key "#\{ENV\['FLUENTD_FORWARD_SHARED_KEY'\][^\n]*raise[^\n]*\}"[\s\S]*<\/security>/);
    const output = /<match docker\.\*\*>[\s\S]*?<\/match>/.exec(conf)?.[0] ?? '';
    expect(output).toMatch(/^\s+@type elasticsearch$/m);
    expect(output).toMatch(/^\s+user sightline_fluentd$/m);
    expect(output).toMatch(/^\s+password "#\{ENV\['FLUENTD_ES_PASSWORD'\][^\n]*raise[^\n]*\}"$/m);
    expect(output).toMatch(/^\s+write_operation create$/m);
    // `create` needs an id per record (the plugin drops records without one): generated before the output.
    expect(output).toMatch(/^\s+id_key _hash$/m);
    expect(conf.indexOf('@type elasticsearch_genid')).toBeGreaterThan(conf.indexOf('@type parser'));
    expect(conf.indexOf('@type elasticsearch_genid')).toBeLessThan(conf.indexOf('<match docker.**>'));
    // The writer may create the daily index and add documents: no reading, overwriting or deleting.
    const writer = JSON.parse(readFileSync(join(ROOT, 'deploy/monitoring/elasticsearch/roles/sightline_log_writer.json'), 'utf8'));
    expect(writer).toEqual({
      cluster: ['monitor'],
      indices: [{ names: ['sightline-logs-*'], privileges: ['create_index', 'create_doc'] }],
    });
  });

  it('refuses to start without the passwords in .env', async () => {
    const project = await makeTempDir('sightline-compose-logs-missing-');
    deployInto(project);
    await run('bash', [join(project, 'deploy/docker/prepare-host.sh')]);
    const envFile = join(project, '.env');
    writeFileSync(envFile, readFileSync(envFile, 'utf8').replace(/^ELASTIC_PASSWORD=.*\n/m, ''));
    const failure = await composeConfig(project, ['docker-compose.yml']).catch((err: { stderr: string }) => err);
    expect((failure as { stderr: string }).stderr).toMatch(/ELASTIC_PASSWORD/);
  });
});

describe('NATS passwords in .env', () => {
  /** The NATS_*_PASSWORD lines of a project's .env. */
  const natsPasswords = (dir: string) =>
    Object.fromEntries([...readFileSync(join(dir, '.env'), 'utf8').matchAll(/^(NATS_[A-Z]+_PASSWORD)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  /** `nats-server -t` with these passwords in its environment, as compose passes them: the error text, or '' if valid. */
  const natsConfigError = async (passwords: Record<string, string>) =>
    run('nats-server', ['-c', 'single.conf', '-t'], {
      cwd: await shippedNatsConfigs(),
      env: { PATH: process.env.PATH, NATS_SERVER_NAME: 'test-node', ...passwords },
    }).then(
      ({ stdout, stderr }) => (`${stdout}${stderr}`.includes('configuration file single.conf is valid') ? '' : `${stdout}${stderr}`),
      (err: { stderr: string }) => err.stderr,
    );
  // A hex value shaped like a number with a unit suffix: nats-server parses `$VAR` values as configuration values.
  const NUMBER_SHAPED = `12e4${'a'.repeat(44)}`;

  it('are generated in a form nats-server reads as a string, and replace number-shaped ones of an older prepare-host.sh', async () => {
    const dir = await makeTempDir('sightline-nats-passwords-');
    deployInto(dir);
    await run('bash', [join(dir, 'deploy/docker/prepare-host.sh')]);
    const generated = natsPasswords(dir);
    expect(Object.keys(generated)).toHaveLength(NATS_IDENTITIES.length);
    expect(await natsConfigError(generated)).toBe('');

    // An .env written by the earlier generator (plain hex) that happened to start like a number: the server refuses it.
    const env = readFileSync(join(dir, '.env'), 'utf8');
    writeFileSync(join(dir, '.env'), env.replace(/^NATS_TRACKER_PASSWORD=.*$/m, `NATS_TRACKER_PASSWORD=${NUMBER_SHAPED}`));
    expect(await natsConfigError({ ...generated, NATS_TRACKER_PASSWORD: NUMBER_SHAPED })).toMatch(
      /NATS_TRACKER_PASSWORD.*could not be parsed/,
    );
    const { stdout } = await run('bash', [join(dir, 'deploy/docker/prepare-host.sh')]);
    expect(stdout).toContain('replaced NATS_TRACKER_PASSWORD in .env');
    const repaired = natsPasswords(dir);
    expect(repaired.NATS_TRACKER_PASSWORD).toMatch(/^n[0-9a-f]{48}$/);
    expect({ ...repaired, NATS_TRACKER_PASSWORD: generated.NATS_TRACKER_PASSWORD }).toEqual(generated);
    expect(await natsConfigError(repaired)).toBe('');
  });

  it('set by the operator in a form nats-server cannot read as a string stop prepare-host.sh with the key named, .env unchanged', async () => {
    const dir = await makeTempDir('sightline-nats-passwords-');
    deployInto(dir);
    await run('bash', [join(dir, 'deploy/docker/prepare-host.sh')]);
    const env = readFileSync(join(dir, '.env'), 'utf8').replace(/^NATS_INGEST_PASSWORD=.*$/m, 'NATS_INGEST_PASSWORD=2024');
    writeFileSync(join(dir, '.env'), env);
    const failure = await run('bash', [join(dir, 'deploy/docker/prepare-host.sh')]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/NATS_INGEST_PASSWORD in \.env must start with a letter/);
    expect(failure?.stderr).not.toContain('2024');
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(env);
  });
});

/**
 * deploy/docker/nats as the NATS container sees it: its files copied with /etc/nats-tls pointing at certificates that
 * the shipped deploy/docker/make-nats-certs.sh made here (the container mounts var/nats-tls/server there).
 */
let natsConfigDir: Promise<string> | undefined;
function shippedNatsConfigs(): Promise<string> {
  natsConfigDir ??= (async () => {
    const dir = await makeTempDir('sightline-nats-conf-');
    await run('bash', [join(ROOT, 'deploy/docker/make-nats-certs.sh'), join(dir, 'tls')]);
    for (const file of readdirSync(join(ROOT, 'deploy/docker/nats'))) {
      const text = readFileSync(join(ROOT, 'deploy/docker/nats', file), 'utf8');
      writeFileSync(join(dir, file), text.replaceAll('/etc/nats-tls/', `${join(dir, 'tls/server')}/`));
    }
    return dir;
  })();
  return natsConfigDir;
}

const NATS_PASSWORDS = Object.fromEntries(NATS_IDENTITIES.map((id) => [`NATS_${id.toUpperCase()}_PASSWORD`, 'x']));

/** Whether a config.ts declares the variable, itself or through @sightline/config's baseConfigShape. */
function readsVariable(config: string, name: string): boolean {
  const base = ['NATS_URL', 'LOG_LEVEL', 'SHUTDOWN_TIMEOUT_MS'].includes(name);
  return (
    (config.includes(`${name}:`) && (!base || config.includes(`baseConfigShape.${name}`) || !config.includes('...baseConfigShape'))) ||
    (base && config.includes('...baseConfigShape'))
  );
}
