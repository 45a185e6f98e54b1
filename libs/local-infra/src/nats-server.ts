/**
 * A real nats-server with JetStream, as a child process with its own data directory. Used by the local fleet
 * runner and by integration tests. `stop()`/`start()` keep port and storage, so tests can simulate an outage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, startOrStop } from './process.js';
import { waitForPort, withFreePorts } from './ports.js';

export interface NatsServerOptions {
  dataDir: string;
  port?: number;
  monitorPort?: number;
  /** Frames are raw pixels: the default 1 MiB is too small for 1080p frames. */
  maxPayloadBytes?: number;
  binary?: string;
  onLine?: (line: string) => void;
  /** Called with each process this server starts (first start and every restart), e.g. to supervise it. */
  onProcess?: (process: ManagedProcess) => void;
  /** An `authorization { … }` block (users and permissions); without it the server accepts any client. */
  authorization?: string;
  /** Require TLS of every client with this certificate (e.g. from ensureNatsTls); without it the server is plaintext. */
  tls?: { certFile: string; keyFile: string; /** TLS handshake timeout (default 5 s: a loaded box is slow). */ timeoutSeconds?: number };
}

export class LocalNatsServer {
  private process?: ManagedProcess;

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    private readonly configFile: string,
    private readonly options: NatsServerOptions,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.process?.running;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts on the given ports, or on free ones (picked again if another process takes one before the bind). */
  static async start(options: NatsServerOptions): Promise<LocalNatsServer> {
    mkdirSync(join(options.dataDir, 'jetstream'), { recursive: true });
    if (options.port !== undefined && options.monitorPort !== undefined)
      return LocalNatsServer.launch(options, options.port, options.monitorPort);
    return withFreePorts(2, ([port, monitorPort]) =>
      LocalNatsServer.launch(options, options.port ?? port!, options.monitorPort ?? monitorPort!),
    );
  }

  private static async launch(options: NatsServerOptions, port: number, monitorPort: number): Promise<LocalNatsServer> {
    const configFile = join(options.dataDir, 'nats-server.conf');
    writeFileSync(
      configFile,
      [
        `listen: 127.0.0.1:${port}`,
        `http: 127.0.0.1:${monitorPort}`,
        `max_payload: ${options.maxPayloadBytes ?? 8 * 1024 * 1024}`,
        `jetstream {`,
        `  store_dir: "${join(options.dataDir, 'jetstream')}"`,
        `  max_memory_store: 1GB`,
        `  max_file_store: 10GB`,
        `}`,
        options.authorization ?? '',
        ...(options.tls
          ? [
              // A top-level tls block makes nats-server refuse every client that does not upgrade to TLS.
              `tls {`,
              `  cert_file: ${JSON.stringify(options.tls.certFile)}`,
              `  key_file: ${JSON.stringify(options.tls.keyFile)}`,
              `  timeout: ${options.tls.timeoutSeconds ?? 5}`,
              `}`,
            ]
          : []),
        '',
      ].join('\n'),
      // It may hold passwords.
      { mode: 0o600 },
    );
    return startOrStop(new LocalNatsServer(port, monitorPort, configFile, options));
  }

  async start(): Promise<void> {
    this.process = new ManagedProcess(this.options.binary ?? 'nats-server', ['-c', this.configFile], {
      name: 'nats-server',
      onLine: this.options.onLine,
    }).start();
    this.options.onProcess?.(this.process);
    await this.process.waitForLine(/Server is ready/);
    await waitForPort(this.port);
  }

  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM', 5000);
  }
}
