import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Ports this process has handed out: never handed out twice (two starters in one process cannot collide). */
const handedOut = new Set<number>();

/**
 * Ports to pick from: below the kernel's ephemeral range (`ip_local_port_range`, 32768-60999 by default), so the
 * source port of an outgoing connection can never take a port between the pick and the child's bind.
 */
function pickRange(): { low: number; high: number } {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // not Linux: keep the IANA default
  }
  const high = Math.min(ephemeralLow - 1, 32767);
  return { low: Math.max(10_000, high - 12_000), high };
}

/** True when nothing listens on 127.0.0.1:port (we could bind it just now). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err),
    );
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on loopback for a child process to listen on. The child binds it later, so a pick can still race
 * with another process; it is made unlikely (random pick outside the ephemeral range, never the same port twice in
 * this process, checked free) and starters that pick ports retry on "address in use" (see `withFreePorts`).
 */
export async function freePort(): Promise<number> {
  const { low, high } = pickRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free TCP port found in ${low}-${high}`);
}

/** Whether an error (or a process's output tail in its message) says a port was taken. */
export function isAddressInUse(err: unknown): boolean {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
  return /EADDRINUSE|address already in use|could not listen on port/i.test(text);
}

/**
 * Runs `start` with `count` freshly picked ports; when it fails because a port was taken meanwhile (another
 * process won the pick-then-bind race), picks new ports and tries again, up to `tries` times.
 */
export async function withFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>, tries = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    try {
      return await start(ports);
    } catch (err) {
      if (attempt >= tries || !isAddressInUse(err)) throw err;
    }
  }
}

/** Resolves when something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A fresh directory under the OS temp dir that other local users can traverse: PostgreSQL runs as `postgres` when
 * we are root, and mkdtemp's 0700 would lock it out.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `sightline-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}
