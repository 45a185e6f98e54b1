import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './ports.js';
import { LocalNatsServer } from './nats-server.js';
import { LocalPostgres } from './postgres.js';

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
    pg.psql('CREATE TABLE t (v int); INSERT INTO t VALUES (42)');
    await pg.stop();
    await pg.start();
    expect(pg.psql('SELECT v FROM t').trim()).toBe('42');
    await pg.stop();
  });
});
