/**
 * What must hold before a local fleet starts, checked up front so a second `npm run up` says what is in the way
 * instead of failing somewhere inside a child process: the data directory is not in use by another fleet (a lock
 * file naming its pid), and the fixed ports are free (which one is taken, and by which process when `ss` can tell).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPortFree } from '@sightline/local-infra';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

/** Error whose message is meant for the user as is (what is in the way, what to do). */
export class FleetStartError extends Error {
  override readonly name = 'FleetStartError';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dataDir>/fleet.lock` (created exclusively, holding our pid). A lock whose process is gone is stale and
 * taken over; a live one is an error naming its pid.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = join(dataDir, 'fleet.lock');
  const content = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), argv: process.argv.slice(1) }) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, content, { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          if ((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid === process.pid) rmSync(file);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { file, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: number; startedAt?: string } = {};
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as typeof holder;
    } catch {
      // unreadable or half-written: treated as stale below
    }
    if (holder.pid && isAlive(holder.pid)) {
      throw new FleetStartError(
        `${dataDir} is in use by another local fleet: pid ${holder.pid} (started ${holder.startedAt ?? 'at an unknown time'}; lock ${file}). ` +
          `Stop it first (Ctrl-C in its terminal, or kill -INT ${holder.pid}), or give this one its own --data-dir.`,
      );
    }
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new FleetStartError(`could not take the lock ${file}`);
}

/** The process listening on a TCP port, as `ss` reports it (e.g. `"nats-server",pid=123`), when it can tell. */
function portHolder(port: number): string | undefined {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 3000,
    });
    return /users:\(\((.*?)\)\)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** Fails naming every port of the list that something already listens on. */
export async function assertPortsFree(ports: ReadonlyArray<{ name: string; port: number }>): Promise<void> {
  const taken: string[] = [];
  for (const { name, port } of ports) {
    if (await isPortFree(port)) continue;
    const holder = portHolder(port);
    taken.push(`${port} (${name})${holder ? ` held by ${holder}` : ''}`);
  }
  if (taken.length) {
    throw new FleetStartError(
      `port${taken.length > 1 ? 's' : ''} already in use: ${taken.join(', ')}. Another fleet or a compose stack may be ` +
        `running: stop it, or see who holds a port with \`ss -ltnp 'sport = :PORT'\`.`,
    );
  }
}
