/**
 * What the autoscaler scales: inference replicas of a Docker Compose project (production). The local fleet runner
 * implements the same interface in @sightline/fleet (LocalFleetBackend) for machines without Docker and the tests.
 */
import { execFile } from 'node:child_process';
import { SightlineError } from '@sightline/contracts';
import { AutoscalingErrorCode } from './errors.js';

export interface ScalingBackend {
  /** For logs and metrics. */
  readonly kind: string;
  /** Replicas running now. */
  replicas(): Promise<number>;
  /** Starts or stops replicas until `replicas` run; resolves once they do. */
  scaleTo(replicas: number): Promise<void>;
}

export const COMPOSE_CLIS = ['plugin', 'standalone'] as const;
export type ComposeCli = (typeof COMPOSE_CLIS)[number];

export interface ComposeBackendOptions {
  /** Directory of the compose project (relative paths in the compose files resolve against it). */
  projectDirectory: string;
  /** Compose project name (`-p`): must be the one the fleet was started with. */
  projectName: string;
  /** Compose files, in override order (`-f` each). */
  files: readonly string[];
  /** The service to scale. */
  service: string;
  /** The docker CLI (with the compose v2 plugin for `plugin`). */
  docker?: string;
  /**
   * `plugin` (default): `docker compose` (Compose v2). `standalone`: the `docker-compose` executable (Compose v1,
   * e.g. Debian's 1.29, which has no `ps --format json`: running replicas are then counted by the engine's labels).
   */
  cli?: ComposeCli;
  /** The standalone executable (`cli: 'standalone'`). */
  dockerCompose?: string;
  /** Longest a compose command may run (image pulls on scale-up included). */
  timeoutMs?: number;
}

/** Runs `docker compose … up -d --no-recreate --scale <service>=N <service>`: existing replicas are left alone. */
export class ComposeBackend implements ScalingBackend {
  readonly kind = 'compose';

  constructor(private readonly options: ComposeBackendOptions) {}

  /** The argv (after the executable) that scales the service to `replicas`. */
  scaleArgs(replicas: number): string[] {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new SightlineError(AutoscalingErrorCode.invalidReplicas, `cannot scale to ${replicas} replicas`, { replicas });
    }
    const { service } = this.options;
    return [...this.composeArgs(), 'up', '--detach', '--no-recreate', '--scale', `${service}=${replicas}`, service];
  }

  /** The argv (after the docker CLI) that lists the service's running containers: compose's JSON, or engine IDs. */
  psArgs(): string[] {
    const { service, projectName } = this.options;
    if (this.standalone) {
      const labels = [`com.docker.compose.project=${projectName}`, `com.docker.compose.service=${service}`];
      return ['ps', ...labels.flatMap((l) => ['--filter', `label=${l}`]), '--filter', 'status=running', '--format', '{{.ID}}'];
    }
    return [...this.composeArgs(), 'ps', '--format', 'json', '--status', 'running', service];
  }

  async replicas(): Promise<number> {
    const output = await this.run(this.docker, this.psArgs());
    if (this.standalone) return output.split('\n').filter((line) => line.trim()).length;
    return countRunningContainers(output, this.options.service);
  }

  async scaleTo(replicas: number): Promise<void> {
    await this.run(this.standalone ? (this.options.dockerCompose ?? 'docker-compose') : this.docker, this.scaleArgs(replicas));
  }

  private get standalone(): boolean {
    return this.options.cli === 'standalone';
  }

  private get docker(): string {
    return this.options.docker ?? 'docker';
  }

  private composeArgs(): string[] {
    const { projectDirectory, projectName, files } = this.options;
    const args = ['--project-directory', projectDirectory, '--project-name', projectName, ...files.flatMap((f) => ['--file', f])];
    return this.standalone ? args : ['compose', ...args];
  }

  private run(executable: string, args: string[]): Promise<string> {
    const subcommand = args.find((a) => a === 'up' || a === 'ps');
    // Only the CLI's own variables: compose interpolates the compose file from the environment before the project's
    // .env, so our service's variables (LOG_LEVEL, HTTP_PORT, …) must not leak into the inference replicas it creates.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'PATH' || k === 'HOME' || k.startsWith('DOCKER_')));
    return new Promise((resolve, reject) => {
      execFile(
        executable,
        args,
        // In the project directory: compose resolves the relative paths of COMPOSE_FILE (from the project's .env)
        // against the working directory, in v1 at least, not against --project-directory.
        { env, cwd: this.options.projectDirectory, timeout: this.options.timeoutMs ?? 300_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
          reject(
            new SightlineError(AutoscalingErrorCode.scaleCommandFailed, `compose ${subcommand} failed: ${firstLine(stderr) || e.message}`, {
              command: [executable, ...args],
              exitCode: e.code,
              timedOut: e.killed === true,
              stderr: stderr.slice(-2000),
            }),
          );
        },
      );
    });
  }
}

const firstLine = (text: string): string => text.trim().split('\n')[0] ?? '';

/**
 * Counts running containers of `service` in `docker compose ps --format json` output: a JSON array (compose
 * < 2.21) or one JSON object per line (newer).
 */
export function countRunningContainers(output: string, service: string): number {
  const text = output.trim();
  if (!text) return 0;
  let entries: Array<{ Service?: string; State?: string }>;
  try {
    entries = text.startsWith('[')
      ? JSON.parse(text)
      : text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line));
  } catch (err) {
    throw new SightlineError(
      AutoscalingErrorCode.scaleCommandOutputInvalid,
      `cannot read docker compose ps output: ${(err as Error).message}`,
      {
        output: text.slice(0, 500),
      },
    );
  }
  return entries.filter((e) => e.Service === service && e.State === 'running').length;
}
