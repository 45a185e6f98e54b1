/**
 * The local fleet's supervisor on real processes: `kill -9` of a service and of nats-server are reported and
 * followed by a restart on the same port; a stop on purpose is not; a second fleet (and a second `npm run up`) on
 * the same data directory fails saying which pid holds it; a port in use is named.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeTempDir, waitUntil } from '@sightline/local-infra';
import { INFRA_NAMES, LocalFleet, REPO_ROOT, assertPortsFree, describeSupervisorEvent, type SupervisorEvent } from '../src/index.js';

let dir: string;
let fleet: LocalFleet;
const events: SupervisorEvent[] = [];

beforeAll(async () => {
  dir = await makeTempDir('supervision');
  fleet = await LocalFleet.start({
    dataDir: dir,
    ports: 'free',
    ephemeral: true,
    services: ['auth'],
    onSupervisorEvent: (event) => events.push(event),
  });
});

afterAll(async () => {
  await fleet?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const health = async (url: string) => (await fetch(`${url}/health`).catch(() => undefined))?.status;
const eventsOf = (name: string) => events.filter((e) => e.name === name);

describe('LocalFleet supervision', () => {
  it('restarts a service killed with SIGKILL on its port, after reporting the crash once', async () => {
    const [auth] = fleet.running('auth');
    const victim = auth!.process.pid!;
    process.kill(victim, 'SIGKILL');
    await waitUntil(() => eventsOf('auth').some((e) => e.type === 'restarted'), 'auth to be restarted', 60_000);
    const [crashed, restarted] = eventsOf('auth');
    expect(crashed).toMatchObject({
      type: 'crashed',
      pid: victim,
      how: 'signal SIGKILL',
      next: { restart: true, attempt: 1, delayMs: 1000 },
    });
    expect(restarted).toMatchObject({ type: 'restarted', attempt: 1 });
    expect(eventsOf('auth')).toHaveLength(2);
    const [again] = fleet.running('auth');
    expect(again!.process.pid).not.toBe(victim);
    expect(again!.port).toBe(auth!.port);
    expect(await health(fleet.url('auth'))).toBe(200);
    expect(describeSupervisorEvent(crashed!)).toMatch(
      new RegExp(`^auth \\(pid ${victim}\\) exited unexpectedly \\(signal SIGKILL\\): restart 1 in 1 s`),
    );
  });

  it('restarts nats-server killed with SIGKILL on the same port, and the service reconnects', async () => {
    const victim = fleet.nats.pid!;
    process.kill(victim, 'SIGKILL');
    await waitUntil(() => eventsOf(INFRA_NAMES.nats).some((e) => e.type === 'restarted'), 'nats-server to be restarted', 60_000);
    expect(eventsOf(INFRA_NAMES.nats)[0]).toMatchObject({ type: 'crashed', pid: victim, how: 'signal SIGKILL' });
    expect(fleet.nats.running).toBe(true);
    expect(fleet.nats.pid).not.toBe(victim);
    // auth's readiness includes its NATS connection: it comes back without a restart of auth.
    await waitUntil(async () => (await health(fleet.url('auth'))) === 200, 'auth healthy again', 30_000);
    expect(eventsOf('auth').filter((e) => e.type === 'crashed')).toHaveLength(1); // only the kill of the first test
  });

  it('restarts PostgreSQL killed with SIGKILL', async () => {
    const victim = fleetPostgresPid();
    process.kill(victim, 'SIGKILL');
    await waitUntil(() => eventsOf(INFRA_NAMES.postgres).some((e) => e.type === 'restarted'), 'PostgreSQL to be restarted', 90_000);
    expect(eventsOf(INFRA_NAMES.postgres)[0]).toMatchObject({ type: 'crashed', pid: victim, how: 'signal SIGKILL' });
    expect(fleet.postgres.psql('SELECT 1').trim()).toBe('1');
  });

  it('leaves a service stopped on purpose down', async () => {
    const [auth] = fleet.running('auth');
    const before = events.length;
    await fleet.stopService(auth!);
    await new Promise((r) => setTimeout(r, 2500)); // longer than the first backoff: a (wrong) restart would show
    expect(events.length).toBe(before);
    expect(fleet.running('auth')).toEqual([]);
  });

  it('refuses a second fleet on the same data directory, naming the pid that holds it', async () => {
    await expect(LocalFleet.start({ dataDir: dir, ports: 'free', ephemeral: true, services: [] })).rejects.toThrow(
      new RegExp(`in use by another local fleet: pid ${process.pid}`),
    );
    // The same through the `npm run up` runner: a message and a non-zero exit, never a silent one.
    const runner = spawn(process.execPath, [join(REPO_ROOT, 'deploy/local/fleet.mjs'), '--data-dir', dir], { cwd: REPO_ROOT });
    let output = '';
    runner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => runner.once('close', resolve));
    expect(code).toBe(1);
    expect(output).toContain(`Error: the fleet did not start: ${dir} is in use by another local fleet: pid ${process.pid}`);
  });

  it('gives up on a crash loop and says which process and why', async () => {
    // A stand-in service (answers /health) under a tight policy: the second crash within the window is a loop.
    const loopDir = await makeTempDir('crash-loop');
    const loopEvents: SupervisorEvent[] = [];
    const server = "require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.env.HTTP_PORT), '127.0.0.1')";
    const small = await LocalFleet.start({
      dataDir: loopDir,
      ports: 'free',
      postgres: false,
      services: ['console'],
      command: () => ({ command: process.execPath, args: ['-e', server] }),
      restartPolicy: { backoffMs: [200], maxRestarts: 1, windowMs: 60_000 },
      onSupervisorEvent: (event) => loopEvents.push(event),
    });
    try {
      process.kill(small.running('console')[0]!.process.pid!, 'SIGKILL');
      await waitUntil(() => loopEvents.some((e) => e.type === 'restarted'), 'the first restart', 30_000);
      process.kill(small.running('console')[0]!.process.pid!, 'SIGKILL');
      const gaveUp = await small.supervisor.gaveUp;
      expect(gaveUp).toEqual({ name: 'console', reason: 'crash loop: 2 crashes within 1 min' });
      expect(loopEvents.map((e) => e.type)).toEqual(['crashed', 'restarted', 'crashed']);
      expect(describeSupervisorEvent(loopEvents.at(-1)!)).toMatch(
        /^console \(pid \d+\) exited unexpectedly \(signal SIGKILL\): giving up \(crash loop: 2 crashes within 1 min\)/,
      );
      expect(small.running('console')).toEqual([]);
    } finally {
      await small.stop();
      await rm(loopDir, { recursive: true, force: true });
    }
  });

  it('names a port in use and the process that holds it', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      await expect(assertPortsFree([{ name: 'nats', port }])).rejects.toThrow(
        new RegExp(`port already in use: ${port} \\(nats\\)( held by .*pid=${process.pid})?`),
      );
    } finally {
      holder.close();
    }
    await expect(assertPortsFree([{ name: 'nats', port }])).resolves.toBeUndefined();
  });
});

/** The postmaster's pid, from its pid file (first line). */
function fleetPostgresPid(): number {
  return Number(fleet.postgres.psql("SELECT pg_read_file('postmaster.pid')").split('\n')[0]);
}
