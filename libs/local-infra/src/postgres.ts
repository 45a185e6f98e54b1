/**
 * A real PostgreSQL cluster under a project directory, as a child process (no system service needed).
 * PostgreSQL refuses to run as root: when we are root, initdb and postgres run as the `postgres` user via runuser.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, startOrStop } from './process.js';
import { waitForPort, withFreePorts } from './ports.js';

export interface PostgresOptions {
  dataDir: string;
  port?: number;
  database?: string;
  user?: string;
  /** Extra `postgresql.conf` settings, e.g. archive_mode for backup drills. */
  settings?: Record<string, string | number>;
  /** Trade durability for speed (fsync off): tests only. */
  ephemeral?: boolean;
  /**
   * Require this password (SCRAM) for TCP connections; without it any local user may connect as the superuser
   * (`trust`). The Unix socket in the owner-only data directory stays `trust` for `psql()`.
   */
  password?: string;
  onLine?: (line: string) => void;
  /** Called with each postmaster process this cluster starts (first start and every restart), e.g. to supervise it. */
  onProcess?: (process: ManagedProcess) => void;
}

export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries not found: apt-get install postgresql (or set PG_BIN)');
  return join(base, versions[0]!, 'bin');
}

const isRoot = process.getuid?.() === 0;

/** uid/gid to run PostgreSQL binaries under: `postgres` when we are root (spawned directly, so signals reach it). */
function postgresIdentity(): { uid?: number; gid?: number } {
  if (!isRoot) return {};
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  };
}

export class LocalPostgres {
  private process?: ManagedProcess;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly database: string,
    readonly user: string,
    private readonly options: PostgresOptions,
  ) {}

  get url(): string {
    const password = this.options.password === undefined ? '' : `:${encodeURIComponent(this.options.password)}`;
    return `postgres://${this.user}${password}@127.0.0.1:${this.port}/${this.database}`;
  }

  get pgdata(): string {
    return join(this.dataDir, 'pgdata');
  }

  get running(): boolean {
    return !!this.process?.running;
  }

  /** The server's process (its backends are its children); for CPU accounting in benchmarks. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts on the given port, or on a free one (picked again if another process takes it before the bind). */
  static async start(options: PostgresOptions): Promise<LocalPostgres> {
    const launch = async (port: number) => {
      const pg = new LocalPostgres(port, options.dataDir, options.database ?? 'sightline', options.user ?? 'sightline', options);
      pg.initIfNeeded();
      pg.writeClientAuthentication();
      await startOrStop(pg);
      if (options.password !== undefined)
        pg.psql(`ALTER ROLE "${pg.user}" PASSWORD '${options.password.replaceAll("'", "''")}'`, 'postgres');
      pg.createDatabaseIfNeeded();
      return pg;
    };
    return options.port !== undefined ? launch(options.port) : withFreePorts(1, ([port]) => launch(port!));
  }

  private initIfNeeded(): void {
    mkdirSync(this.dataDir, { recursive: true });
    const { uid, gid } = postgresIdentity();
    if (uid !== undefined && gid !== undefined) chownSync(this.dataDir, uid, gid);
    if (existsSync(join(this.pgdata, 'PG_VERSION'))) return;
    rmSync(this.pgdata, { recursive: true, force: true });
    const args = ['-D', this.pgdata, '-U', this.user, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'];
    try {
      execFileSync(join(postgresBinDir(), 'initdb'), args, { stdio: 'pipe', cwd: this.dataDir, ...postgresIdentity() });
    } catch (err) {
      const e = err as { stderr?: Buffer };
      throw new Error(`initdb failed for ${this.pgdata}: ${e.stderr?.toString() ?? String(err)}`);
    }
  }

  /** With a password: SCRAM over TCP, trust only on the socket of the owner-only data directory (also for clusters
   * created before, which had trust everywhere). */
  private writeClientAuthentication(): void {
    if (this.options.password === undefined) return;
    const { uid, gid } = postgresIdentity();
    chmodSync(this.dataDir, 0o700);
    const hba = join(this.pgdata, 'pg_hba.conf');
    writeFileSync(
      hba,
      [
        '# Written by LocalPostgres',
        'local all all trust',
        'host all all 127.0.0.1/32 scram-sha-256',
        'host all all ::1/128 scram-sha-256',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    if (uid !== undefined && gid !== undefined) chownSync(hba, uid, gid);
  }

  private serverArgs(): string[] {
    const settings: Record<string, string | number> = {
      port: this.port,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dataDir,
      max_connections: 200,
      ...(this.options.ephemeral ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
      ...this.options.settings,
    };
    return ['-D', this.pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  }

  async start(): Promise<void> {
    this.process = new ManagedProcess(join(postgresBinDir(), 'postgres'), this.serverArgs(), {
      name: 'postgres',
      cwd: this.dataDir,
      onLine: this.options.onLine,
      ...postgresIdentity(),
    }).start();
    this.options.onProcess?.(this.process);
    await this.process.waitForLine(/database system is ready to accept connections/, 30_000);
    await waitForPort(this.port);
  }

  /** Fast shutdown (SIGINT): active transactions are rolled back, like a database restart in production. */
  async stop(): Promise<void> {
    await this.process?.stop('SIGINT', 15_000);
  }

  /** Runs SQL through psql as the superuser (over the data directory's Unix socket); returns stdout. */
  psql(sql: string, database = this.database): string {
    return execFileSync(
      join(postgresBinDir(), 'psql'),
      ['-h', this.dataDir, '-p', String(this.port), '-U', this.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql],
      { encoding: 'utf8' },
    );
  }

  private createDatabaseIfNeeded(): void {
    const exists = this.psql(`SELECT 1 FROM pg_database WHERE datname = '${this.database}'`, 'postgres').trim();
    if (!exists) this.psql(`CREATE DATABASE "${this.database}"`, 'postgres');
  }
}
