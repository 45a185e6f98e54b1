/**
 * A compose project on real containers for the container tests: deployed into an empty directory from the file list
 * the deploy workflow ships (deploy/ship-files.txt), prepared by deploy/docker/prepare-host.sh, then driven with
 * Debian's docker-compose (Compose v1; the file stays valid for v2, which GitHub's runners use).
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from '@sightline/local-infra';
import { parse } from 'yaml';

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '../..');
/** Debian's CLI (matches the engine); deploy/containers/harness.sh exports the one it used. */
export const DOCKER = process.env.DOCKER ?? '/usr/bin/docker';
/** What the deploy workflow copies to the host (rsync --files-from): one path per line, directories recursively. */
export const SHIP_LIST = 'deploy/ship-files.txt';
/** Host-owned files the copy never overwrites (rsync --exclude in the workflow). */
export const SHIP_EXCLUDE = /^deploy\/env\/[^/]+\.env$/;

export function shipFiles(): string[] {
  return readFileSync(join(ROOT, SHIP_LIST), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Copies the shipped file set into `dir` as the workflow's rsync does (relative paths kept, host env files left out). */
export function deployInto(dir: string): void {
  for (const path of shipFiles()) {
    cpSync(join(ROOT, path), join(dir, path), {
      recursive: true,
      filter: (src) => !SHIP_EXCLUDE.test(src.slice(ROOT.length + 1)) && !src.includes('/node_modules'),
    });
  }
}

/** Sets KEY=value in an env file (replacing the line that sets it, else appending). */
export function setEnv(file: string, values: Record<string, string>): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const [key, value] of Object.entries(values)) {
    const line = `${key}=${value}`;
    const pattern = new RegExp(`^#? ?${key}=.*$`, 'm');
    text = pattern.test(text) ? text.replace(pattern, line) : `${text.replace(/\n?$/, '\n')}${line}\n`;
  }
  writeFileSync(file, text);
}

export interface ContainerState {
  service: string;
  name: string;
  status: string;
  exitCode: number;
  health: string;
}

export class ComposeProject {
  constructor(readonly dir: string) {}

  /** Runs docker-compose in the project directory (its .env decides files, project name and images). */
  async compose(args: string[], timeoutMs = 600_000): Promise<string> {
    const env = { PATH: `/usr/bin:${process.env.PATH}`, HOME: process.env.HOME ?? '/root' };
    try {
      const { stdout } = await run('docker-compose', args, { cwd: this.dir, env, timeout: timeoutMs, maxBuffer: 64 << 20 });
      return stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`docker-compose ${args.join(' ')}: ${e.message}\n${e.stderr ?? ''}`);
    }
  }

  /** The compose project name (COMPOSE_PROJECT_NAME in the project's .env). */
  name(): string {
    const match = /^COMPOSE_PROJECT_NAME=(.+)$/m.exec(readFileSync(join(this.dir, '.env'), 'utf8'));
    if (!match) throw new Error('no COMPOSE_PROJECT_NAME in .env');
    return match[1]!.trim();
  }

  async docker(args: string[]): Promise<string> {
    const { stdout } = await run(DOCKER, args, { maxBuffer: 64 << 20 });
    return stdout;
  }

  /** Services that run without a profile, read from the deployed compose file. */
  defaultServices(): string[] {
    const file = parse(readFileSync(join(this.dir, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { profiles?: string[] }>;
    };
    return Object.entries(file.services)
      .filter(([, s]) => !s.profiles?.length)
      .map(([name]) => name)
      .sort();
  }

  async containers(): Promise<ContainerState[]> {
    const format =
      '{{index .Config.Labels "com.docker.compose.service"}}|{{.Name}}|{{.State.Status}}|{{.State.ExitCode}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}';
    let out = '';
    // A container listed by `ps` may be removed before `inspect` reads it (the autoscaler scaling down): list again.
    for (let attempt = 1; ; attempt++) {
      const ids = (await this.compose(['ps', '-q'])).split('\n').filter(Boolean);
      if (ids.length === 0) return [];
      try {
        out = await this.docker(['inspect', '--format', format, ...ids]);
        break;
      } catch (err) {
        if (attempt >= 5 || !/No such object/.test(String((err as { stderr?: string }).stderr ?? err))) throw err;
      }
    }
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [service, name, status, exitCode, health] = line.split('|');
        return { service: service!, name: name!.replace(/^\//, ''), status: status!, exitCode: Number(exitCode), health: health ?? '' };
      });
  }

  /** Every default service up: healthy where it has a health check, exited 0 where it is a one-shot. */
  async waitHealthy(oneShots: readonly string[], timeoutMs = 600_000): Promise<ContainerState[]> {
    const expected = this.defaultServices();
    let last: ContainerState[] = [];
    const ready = (c: ContainerState) =>
      oneShots.includes(c.service) ? c.status === 'exited' && c.exitCode === 0 : c.status === 'running' && c.health === 'healthy';
    try {
      await waitUntil(
        async () => {
          last = await this.containers();
          const failed = last.find((c) => oneShots.includes(c.service) && c.status === 'exited' && c.exitCode !== 0);
          if (failed) throw new Error(`${failed.name} exited with ${failed.exitCode}`);
          return expected.every((s) => last.some((c) => c.service === s)) && last.every(ready);
        },
        'every service healthy',
        timeoutMs,
        2000,
      );
    } catch (err) {
      const logs = await this.compose(['logs', '--no-color', '--tail', '15']).catch(() => '');
      throw new Error(`${(err as Error).message}\n${JSON.stringify(last, null, 1)}\n${logs}`);
    }
    return last;
  }

  /** One value from PostgreSQL, through psql in the postgres container. */
  async sql(query: string): Promise<string> {
    return (await this.compose(['exec', '-T', 'postgres', 'psql', '-U', 'sightline', '-d', 'sightline', '-tAc', query])).trim();
  }

  /** The host's address on the project's network: containers reach host-side servers (the RTSP camera) through it. */
  async hostAddress(): Promise<string> {
    const id = (await this.compose(['ps', '-q', 'nats'])).trim();
    const networks = JSON.parse(await this.docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id])) as Record<
      string,
      unknown
    >;
    const network = Object.keys(networks)[0]!;
    return (await this.docker(['network', 'inspect', '--format', '{{(index .IPAM.Config 0).Gateway}}', network])).trim();
  }

  appendEnv(file: string, lines: string[]): void {
    appendFileSync(join(this.dir, file), `${lines.join('\n')}\n`);
  }
}
