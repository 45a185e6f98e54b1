/**
 * The local fleet: a real nats-server (JetStream) and PostgreSQL under a data directory, and every service as a
 * child process from its build output. Used by `npm run up`, the end-to-end tests, the benchmarks and the
 * autoscaler's local backend (which adds and removes inference replicas).
 */
import { mkdirSync, createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalNatsServer, LocalPostgres, ManagedProcess, freePort } from '@sightline/local-infra';
import {
  DEFAULT_PORTS,
  SERVICE_NAMES,
  httpUrl,
  serviceEnvironment,
  type FleetEndpoints,
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
  /** How to start a service (default: `node apps/<name>/dist/main.js`); e.g. single-file bundles on a GPU host. */
  command?: (name: ServiceName) => { command: string; args: string[] };
}

export interface RunningService {
  name: ServiceName;
  instance: number;
  port: number;
  process: ManagedProcess;
}

export class LocalFleet {
  private readonly services: RunningService[] = [];
  private readonly logs = new Map<string, WriteStream>();

  private constructor(
    readonly nats: LocalNatsServer,
    private readonly database: LocalPostgres | undefined,
    readonly endpoints: FleetEndpoints,
    private readonly options: FleetOptions,
  ) {}

  static async start(options: FleetOptions): Promise<LocalFleet> {
    const dataDir = resolve(options.dataDir);
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    const pick = async (name: keyof typeof DEFAULT_PORTS) => (options.ports === 'free' ? freePort() : DEFAULT_PORTS[name]);
    const onLine = (source: string) => (line: string) => options.onLine?.(source, line);
    const nats = await LocalNatsServer.start({ dataDir: join(dataDir, 'nats'), port: await pick('nats'), onLine: onLine('nats') });
    const postgres =
      options.postgres === false
        ? undefined
        : await LocalPostgres.start({
            dataDir: join(dataDir, 'postgres'),
            port: await pick('postgres'),
            ephemeral: options.ephemeral,
            onLine: onLine('postgres'),
          });
    const ports = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (n) => [n, await pick(n)]))) as Record<ServiceName, number>;
    const fleet = new LocalFleet(nats, postgres, { natsUrl: nats.url, databaseUrl: postgres?.url ?? '', ports, dataDir }, options);
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
    const port = instance === 0 ? this.endpoints.ports[name] : await freePort();
    const source = instance === 0 ? name : `${name}-${instance}`;
    const log = this.logFor(source);
    const { command, args } = this.options.command?.(name) ?? {
      command: process.execPath,
      args: [join(REPO_ROOT, 'apps', name, 'dist', 'main.js')],
    };
    const proc = new ManagedProcess(command, args, {
      name: source,
      cwd: REPO_ROOT,
      env: {
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
    const service: RunningService = { name, instance, port, process: proc };
    this.services.push(service);
    await waitForReady(httpUrl(port), proc, source);
    return service;
  }

  async stopService(service: RunningService, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await service.process.stop(signal, 15_000);
  }

  /** Stops services in reverse start order (producer first, so consumers drain), then the infrastructure. */
  async stop(): Promise<void> {
    for (const service of [...this.services].reverse()) await service.process.stop('SIGTERM', 15_000);
    await this.database?.stop();
    await this.nats.stop();
    for (const log of this.logs.values()) log.end();
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
