import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './ports.js';
import { LocalNatsServer } from './nats-server.js';
import { LocalPostgres, postgresBinDir } from './postgres.js';

describe('local infrastructure', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('infra');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a JetStream-enabled nats-server that can be stopped and restarted on the same port', async () => {
    const nats = await LocalNatsServer.start({ dataDir: join(dir, 'nats') });
    const varz = await (await fetch(`http://127.0.0.1:${nats.monitorPort}/jsz`)).json();
    expect(varz).toHaveProperty('config');
    await nats.stop();
    expect(nats.running).toBe(false);
    await nats.start();
    expect(nats.running).toBe(true);
    await nats.stop();
  });

  it('runs PostgreSQL with a database that survives a restart', async () => {
    const pg = await LocalPostgres.start({ dataDir: join(dir, 'pg'), ephemeral: true });
    // Its pid roots the server's process tree (benchmarks sum its CPU): the postmaster is it or one of its children.
    const treeCommands = (root: number) =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .flatMap((entry) => {
          try {
            const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            return Number(entry) === root || ppid === root ? [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))] : [];
          } catch {
            return [];
          }
        });
    expect(treeCommands(pg.pid!)).toContain('postgres');
    pg.psql('CREATE TABLE t (v int); INSERT INTO t VALUES (42)');
    await pg.stop();
    await pg.start();
    expect(pg.psql('SELECT v FROM t').trim()).toBe('42');
    await pg.stop();
  });

  it('requires the password over TCP when given one, also for a cluster first created without', async () => {
    const dataDir = join(dir, 'pg-password');
    const open = await LocalPostgres.start({ dataDir, ephemeral: true });
    await open.stop();
    const pg = await LocalPostgres.start({ dataDir, port: open.port, ephemeral: true, password: "s3cret-'pw" });
    try {
      const tcp = (password?: string) =>
        execFileSync(
          join(postgresBinDir(), 'psql'),
          ['-w', '-h', '127.0.0.1', '-p', String(pg.port), '-U', pg.user, '-d', pg.database, '-Atc', 'SELECT 1'],
          {
            encoding: 'utf8',
            stdio: 'pipe',
            env: { ...process.env, PGPASSWORD: password ?? '' },
          },
        );
      expect(() => tcp()).toThrow(/password/);
      expect(() => tcp('wrong')).toThrow(/password authentication failed/);
      expect(tcp("s3cret-'pw").trim()).toBe('1');
      expect(pg.url).toBe(`postgres://${pg.user}:${encodeURIComponent("s3cret-'pw")}@127.0.0.1:${pg.port}/${pg.database}`);
      expect(statSync(dataDir).mode & 0o077).toBe(0);
    } finally {
      await pg.stop();
    }
  });
});
