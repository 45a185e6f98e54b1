/**
 * The local fleet: a real nats-server (JetStream) and PostgreSQL under a data directory, and every service as a
 * child process from its build output. Used by `npm run up`, the end-to-end tests, the benchmarks and the
 * autoscaler's local backend (which adds and removes inference replicas).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalNatsServer, LocalPostgres, ManagedProcess, ensureNatsTls, freePort, isAddressInUse } from '@sightline/local-infra';
import { silentLogger } from '@sightline/contracts';
import { DATABASE_SERVICES, provisionDatabase, serviceDatabaseUrl, type DatabaseService } from '@sightline/db';
import {
  NATS_IDENTITIES,
  NatsClient,
  keepStreamsProvisioned,
  natsAuthorizationConfig,
  type NatsClientOptions,
  type NatsIdentity,
} from '@sightline/messaging';
import { acquireDataDirLock, assertPortsFree, type DataDirLock } from './preflight.js';
import {
  Supervisor,
  describeSupervisorEvent,
  type LivenessOptions,
  type LivenessProbe,
  type RestartPolicyOptions,
  type SupervisorEvent,
} from './supervisor.js';
import {
  DEFAULT_PORTS,
  SERVICE_NAMES,
  httpUrl,
  mediaDir,
  serviceEnvironment,
  type FleetEndpoints,
  type NatsCredentials,
  type ServiceName,
} from './services.js';

/** Repository root, from this file's location (src/ under vitest, dist/ under node). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export interface FleetOptions {
  dataDir: string;
  /** Which services to run (default: all). */
  services?: readonly ServiceName[];
  /** `fixed` = documented default ports; `free` = any free port (tests run beside each other). */
  ports?: 'fixed' | 'free';
  /** Extra environment per service (e.g. the bootstrap admin for auth, a sessions file for ingest). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Every output line of every process (JSON log lines of the services). */
  onLine?: (source: string, line: string) => void;
  /** Keep PostgreSQL durable (local runner) or fast (tests). */
  ephemeral?: boolean;
  /** Run PostgreSQL (default true); without it, only services that need no database can run. */
  postgres?: boolean;
  /**
   * How to start a service (default: `node apps/<name>/dist/main.js` in the repository); e.g. single-file bundles on a
   * GPU host, started in their own folder (`cwd`, default the repository root).
   */
  command?: (name: ServiceName) => { command: string; args: string[]; cwd?: string };
  /** Restart policy of the supervisor that restarts crashed processes (default: DEFAULT_RESTART_POLICY). */
  restartPolicy?: RestartPolicyOptions;
  /** How services are probed for liveness (`/health/live`); a hung one is killed and restarted (default: DEFAULT_LIVENESS). */
  liveness?: LivenessOptions;
  /** Each restart-related event (a crash and what is done about it, a process back up); also in logs/supervisor.log. */
  onSupervisorEvent?: (event: SupervisorEvent) => void;
  /**
   * NATS with one identity per service and least-privilege permissions (default true); streams are then created by
   * the provisioning identity before the services start. `false`: an open server, as in most library tests.
   */
  natsIdentities?: boolean;
  /**
   * TLS between every client and NATS (default true): a private CA and a server certificate for 127.0.0.1/localhost
   * in `<dataDir>/nats-tls` (made once, renewed when near expiry); the services trust that CA alone.
   */
  natsTls?: boolean;
}

export interface RunningService {
  name: ServiceName;
  instance: number;
  port: number;
  process: ManagedProcess;
}

/** Names under which the supervisor watches the infrastructure. */
export const INFRA_NAMES = { nats: 'nats-server', postgres: 'postgres' } as const;

export class LocalFleet {
  private readonly services: RunningService[] = [];
  private readonly logs = new Map<string, WriteStream>();
  private stopped = false;

  private constructor(
    readonly nats: LocalNatsServer,
    private readonly database: LocalPostgres | undefined,
    readonly endpoints: FleetEndpoints,
    private readonly options: FleetOptions,
    /** Restarts crashed children; `supervisor.gaveUp` resolves on a crash loop. */
    readonly supervisor: Supervisor,
    private readonly lock: DataDirLock,
    private readonly natsPasswords?: Record<NatsIdentity, string>,
    private readonly provisioner?: NatsClient,
  ) {}

  /** How to connect as a NATS identity of this fleet, as that service does (its credentials, TLS trusting the fleet's CA). */
  natsConnectOptions(name: NatsIdentity): Pick<NatsClientOptions, 'url' | 'user' | 'password' | 'tls'> {
    const caFile = this.endpoints.natsTlsCaFile;
    return {
      url: this.nats.url,
      ...(this.natsPasswords && identity(name, this.natsPasswords)),
      ...(caFile !== undefined && { tls: { caFile } }),
    };
  }

  /**
   * Starts everything, or fails with a message that says what is in the way: another fleet holding the data
   * directory (its pid), a port in use (which one), a service that exits during start-up (its last output).
   */
  static async start(options: FleetOptions): Promise<LocalFleet> {
    const dataDir = resolve(options.dataDir);
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    mkdirSync(mediaDir(dataDir), { recursive: true });
    const lock = acquireDataDirLock(dataDir);
    const supervisorLog = createWriteStream(join(dataDir, 'logs', 'supervisor.log'), { flags: 'a' });
    const supervisor = new Supervisor({
      policy: options.restartPolicy,
      liveness: options.liveness,
      onEvent: (event) => {
        supervisorLog.write(JSON.stringify({ at: new Date().toISOString(), message: describeSupervisorEvent(event), ...event }) + '\n');
        options.onSupervisorEvent?.(event);
      },
    });
    // Random per-run passwords; they live in the server's config (mode 0600) and the services' environment only.
    const passwords =
      options.natsIdentities === false
        ? undefined
        : (Object.fromEntries(NATS_IDENTITIES.map((id) => [id, randomBytes(18).toString('base64url')])) as Record<NatsIdentity, string>);
    let nats: LocalNatsServer | undefined;
    let postgres: LocalPostgres | undefined;
    let provisioner: NatsClient | undefined;
    try {
      if (options.ports !== 'free') {
        const wanted = Object.entries(DEFAULT_PORTS).filter(([name]) => name !== 'postgres' || options.postgres !== false);
        await assertPortsFree(wanted.map(([name, port]) => ({ name, port })));
      }
      const fixed = (name: keyof typeof DEFAULT_PORTS) => (options.ports === 'free' ? undefined : DEFAULT_PORTS[name]);
      const onLine = (source: string) => (line: string) => options.onLine?.(source, line);
      // Kept in the data directory across runs: a restarted server (supervised or not) presents the same certificate.
      const tls = options.natsTls === false ? undefined : await ensureNatsTls(join(dataDir, 'nats-tls'));
      nats = await LocalNatsServer.start({
        dataDir: join(dataDir, 'nats'),
        port: fixed('nats'),
        onLine: onLine('nats'),
        ...(passwords && { authorization: natsAuthorizationConfig((id) => JSON.stringify(passwords[id])) }),
        ...(tls && { tls: { certFile: tls.certFile, keyFile: tls.keyFile } }),
        onProcess: (proc) => supervisor.watch(INFRA_NAMES.nats, proc, () => nats!.start()),
      });
      // The services may not create streams: the provisioning identity stays connected and provisions them again
      // after any restart of the server (supervised or deliberate), as compose's nats-provision does.
      if (passwords) provisioner = await connectProvisioner(nats.url, passwords.provisioner, tls?.caFile);
      postgres =
        options.postgres === false
          ? undefined
          : await LocalPostgres.start({
              dataDir: join(dataDir, 'postgres'),
              port: fixed('postgres'),
              password: postgresPassword(dataDir),
              ephemeral: options.ephemeral,
              onLine: onLine('postgres'),
              onProcess: (proc) => supervisor.watch(INFRA_NAMES.postgres, proc, () => postgres!.start()),
            });
      const pick = async (name: ServiceName) => fixed(name) ?? (await freePort());
      const ports = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (n) => [n, await pick(n)]))) as Record<
        ServiceName,
        number
      >;
      const natsCredentials = passwords && {
        ingest: identity('ingest', passwords),
        inference: identity('inference', passwords),
        persistence: identity('persistence', passwords),
        gateway: identity('gateway', passwords),
        tracker: identity('tracker', passwords),
      };
      const serviceDatabaseUrls = postgres && (await provisionServiceRoles(postgres.url));
      const endpoints = {
        natsUrl: nats.url,
        natsCredentials,
        natsTlsCaFile: tls?.caFile,
        databaseUrl: postgres?.url ?? '',
        serviceDatabaseUrls,
        ports,
        dataDir,
      };
      const fleet = new LocalFleet(nats, postgres, endpoints, options, supervisor, lock, passwords, provisioner);
      fleet.logs.set('supervisor', supervisorLog); // ended with the others by stop()
      try {
        // Auth first: the others fetch its keys; then the consumers before the producer.
        for (const name of ['auth', 'persistence', 'inference', 'tracker', 'gateway', 'ingest', 'console'] as const) {
          if (!options.services || options.services.includes(name)) await fleet.startService(name);
        }
      } catch (err) {
        await fleet.stop();
        throw err;
      }
      return fleet;
    } catch (err) {
      supervisor.close();
      await provisioner?.drain();
      await postgres?.stop();
      await nats?.stop();
      if (!supervisorLog.writableEnded) supervisorLog.end();
      lock.release();
      throw err;
    }
  }

  get postgres(): LocalPostgres {
    if (!this.database) throw new Error('this fleet runs without PostgreSQL');
    return this.database;
  }

  url(name: ServiceName): string {
    return httpUrl(this.endpoints.ports[name]);
  }

  running(name?: ServiceName): RunningService[] {
    return this.services.filter((s) => (!name || s.name === name) && s.process.running);
  }

  /** Starts one more instance of a service (instance 0 on its port, replicas on free ports); waits until ready. */
  async startService(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<RunningService> {
    const instance = this.services.filter((s) => s.name === name).length;
    const freelyPicked = instance > 0 || this.options.ports === 'free';
    for (let attempt = 1; ; attempt++) {
      const port = instance === 0 ? this.endpoints.ports[name] : await freePort();
      const service: RunningService = { name, instance, port, process: this.spawn(name, instance, port, extraEnv) };
      try {
        await waitForReady(httpUrl(port), service.process, this.sourceName(service));
      } catch (err) {
        await service.process.stop('SIGKILL', 0);
        // A freely picked port taken between the pick and the bind: pick again (instance 0's is in endpoints).
        if (!freelyPicked || attempt >= 4 || !isAddressInUse(err)) throw err;
        if (instance === 0) this.endpoints.ports[name] = await freePort();
        continue;
      }
      this.services.push(service);
      this.supervise(service, extraEnv);
      return service;
    }
  }

  /** Stops a service on purpose: the supervisor leaves it down. */
  async stopService(service: RunningService, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await service.process.stop(signal, 15_000);
  }

  /** Stops services in reverse start order (producer first, so consumers drain), then the infrastructure. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.supervisor.close();
    for (const service of [...this.services].reverse()) await service.process.stop('SIGTERM', 15_000);
    await this.provisioner?.drain();
    await this.database?.stop();
    await this.nats.stop();
    for (const log of this.logs.values()) log.end();
    this.lock.release();
  }

  private sourceName(service: { name: ServiceName; instance: number }): string {
    return service.instance === 0 ? service.name : `${service.name}-${service.instance}`;
  }

  /** Watches a running service; a crash restarts it on the same port with the same environment. */
  private supervise(service: RunningService, extraEnv: Record<string, string>): void {
    const source = this.sourceName(service);
    // Alive = the event loop answers; readiness (NATS, PostgreSQL up) is not asked, so an outage restarts nothing.
    const probe: LivenessProbe = async (signal) => {
      const res = await fetch(`${httpUrl(service.port)}/health/live`, { signal });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    };
    const restart = async () => {
      service.process = this.spawn(service.name, service.instance, service.port, extraEnv);
      this.supervisor.watch(source, service.process, restart, probe);
      try {
        await waitForReady(httpUrl(service.port), service.process, source);
      } catch (err) {
        await service.process.stop('SIGKILL', 0); // never two of it on one port
        throw err;
      }
    };
    this.supervisor.watch(source, service.process, restart, probe);
  }

  private spawn(name: ServiceName, instance: number, port: number, extraEnv: Record<string, string>): ManagedProcess {
    const source = this.sourceName({ name, instance });
    const log = this.logFor(source);
    const {
      command,
      args,
      cwd = REPO_ROOT,
    } = this.options.command?.(name) ?? {
      command: process.execPath,
      args: [join(REPO_ROOT, 'apps', name, 'dist', 'main.js')],
    };
    return new ManagedProcess(command, args, {
      name: source,
      cwd,
      env: {
        // Loopback only unless HTTP_HOST says otherwise: a laptop on a shared network exposes nothing.
        HTTP_HOST: '127.0.0.1',
        ...process.env,
        ...serviceEnvironment(name, this.endpoints),
        ...this.options.env?.[name],
        ...extraEnv,
        HTTP_PORT: String(port),
      },
      onLine: (line) => {
        log.write(line + '\n');
        this.options.onLine?.(source, line);
      },
    }).start();
  }

  private logFor(source: string): WriteStream {
    let log = this.logs.get(source);
    if (!log) {
      log = createWriteStream(join(this.endpoints.dataDir, 'logs', `${source}.log`), { flags: 'a' });
      this.logs.set(source, log);
    }
    return log;
  }
}

async function waitForReady(baseUrl: string, proc: ManagedProcess, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${name} exited during start-up:\n${proc.outputTail}`);
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} not ready at ${baseUrl}/health within ${timeoutMs} ms:\n${proc.outputTail}`);
}

const identity = (name: NatsIdentity, passwords: Record<NatsIdentity, string>): NatsCredentials => ({
  user: name,
  password: passwords[name],
});

/** Connects as the provisioning identity, the only one allowed to create streams, and keeps them provisioned. */
async function connectProvisioner(url: string, password: string, caFile: string | undefined): Promise<NatsClient> {
  const client = await NatsClient.connect({
    url,
    name: 'fleet-provisioner',
    user: 'provisioner',
    password,
    ...(caFile !== undefined && { tls: { caFile } }),
    logger: silentLogger,
  });
  try {
    await keepStreamsProvisioned(client, silentLogger);
    return client;
  } catch (err) {
    await client.drain();
    throw err;
  }
}

/**
 * As the owner, migrates the database and gives auth, persistence and the tracker each its own role with only its
 * grants, under a random password per run (like the NATS identities): no service connects as the owner.
 */
async function provisionServiceRoles(ownerUrl: string): Promise<Partial<Record<ServiceName, string>>> {
  const passwords = Object.fromEntries(DATABASE_SERVICES.map((service) => [service, randomBytes(18).toString('base64url')])) as Record<
    DatabaseService,
    string
  >;
  await provisionDatabase(ownerUrl, passwords);
  return Object.fromEntries(DATABASE_SERVICES.map((service) => [service, serviceDatabaseUrl(ownerUrl, service, passwords[service])]));
}

/** The local PostgreSQL's password: random, made once per data directory, kept there readable by its owner only. */
function postgresPassword(dataDir: string): string {
  const file = join(dataDir, 'postgres-password');
  if (!existsSync(file)) writeFileSync(file, randomBytes(18).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}
