/**
 * What the local fleet (`npm run up`) exposes: its services listen on loopback only unless HTTP_HOST says otherwise,
 * its NATS requires TLS under a CA of its own (made in the data directory, kept across restarts) and refuses clients
 * without a service identity (each identity's permissions: libs/messaging's identities.int.spec.ts), and its PostgreSQL requires a password kept in the data directory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { makeTempDir, natsServerCertificate, plaintextNatsExchange, postgresBinDir } from '@sightline/local-infra';
import { silentLogger } from '@sightline/contracts';
import { NatsClient } from '@sightline/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFleet, serviceEnvironment } from '../src/index.js';

let fleet: LocalFleet;

/** This machine's first non-loopback IPv4 address (a laptop's Wi-Fi address). */
function externalAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('this test needs a non-loopback IPv4 interface');
  return address;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  fleet = await LocalFleet.start({ dataDir: await makeTempDir('fleet-exposure'), ports: 'free', ephemeral: true, services: ['inference'] });
});
afterAll(() => fleet?.stop());

describe('the local fleet', () => {
  it("serves on loopback, not on the machine's network address", async () => {
    const port = fleet.endpoints.ports.inference;
    expect((await fetch(`${fleet.url('inference')}/health/live`)).status).toBe(200);
    expect(await connects('127.0.0.1', port)).toBe(true);
    expect(await connects(externalAddress(), port)).toBe(false);
  });

  it('runs NATS with TLS only: a plaintext client is refused, the services get the CA, the keys stay owner-only', async () => {
    const tlsDir = join(fleet.endpoints.dataDir, 'nats-tls');
    expect(fleet.endpoints.natsTlsCaFile).toBe(join(tlsDir, 'ca.crt'));
    for (const key of ['ca.key', 'server.key']) expect(statSync(join(tlsDir, key)).mode & 0o777).toBe(0o600);
    const reply = await plaintextNatsExchange(fleet.nats.port, { user: 'inference', pass: fleet.natsConnectOptions('inference').password });
    expect(reply).toMatch(/"tls_required":true/);
    expect(reply).not.toMatch(/PONG/);
    const presented = await natsServerCertificate(fleet.nats.port, fleet.endpoints.natsTlsCaFile!, '127.0.0.1');
    expect(presented.fingerprint256).toBe(new X509Certificate(readFileSync(join(tlsDir, 'server.crt'))).fingerprint256);
    expect(serviceEnvironment('inference', fleet.endpoints)).toMatchObject({ NATS_TLS_CA_FILE: join(tlsDir, 'ca.crt') });
    // The running inference service, as the server sees it: its own identity, over TLS.
    const connz = (await (await fetch(`http://127.0.0.1:${fleet.nats.monitorPort}/connz?auth=1`)).json()) as {
      connections: { name: string; authorized_user?: string; tls_version?: string }[];
    };
    expect(connz.connections.find((c) => c.name.startsWith('inference:'))).toMatchObject({
      authorized_user: 'inference',
      tls_version: expect.stringMatching(/^1\.[23]$/),
    });
  });

  it('runs NATS with identities: anonymous clients are refused, the inference identity cannot delete a stream', async () => {
    const { url, tls } = fleet.natsConnectOptions('inference');
    await expect(NatsClient.connect({ url, tls, name: 'anonymous', logger: silentLogger, connectTimeoutMs: 500 })).rejects.toMatchObject({
      code: 'NATS_UNAVAILABLE',
    });
    const inference = await NatsClient.connect({
      name: 'as-inference',
      logger: silentLogger,
      ...fleet.natsConnectOptions('inference'),
    });
    try {
      await expect(inference.manager.streams.delete('RESULTS')).rejects.toThrow();
      expect((await inference.manager.streams.info('RESULTS')).config.name).toBe('RESULTS');
    } finally {
      await inference.drain();
    }
  });

  it('runs PostgreSQL with a random password (data directory, mode 0600) required over TCP', () => {
    const file = join(fleet.endpoints.dataDir, 'postgres-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const { port, user, database } = fleet.postgres;
    const select = (pgPassword: string) =>
      execFileSync(
        join(postgresBinDir(), 'psql'),
        ['-w', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database, '-Atc', 'SELECT 1'],
        {
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, PGPASSWORD: pgPassword },
        },
      );
    expect(() => select('')).toThrow(/password/);
    expect(select(password).trim()).toBe('1');
  });

  it('gives each database service its own role: persistence cannot read users, auth cannot delete results', () => {
    const as = (service: 'auth' | 'persistence' | 'tracker', sql: string) =>
      execFileSync(join(postgresBinDir(), 'psql'), ['-w', '-d', serviceEnvironment(service, fleet.endpoints).DATABASE_URL!, '-Atc', sql], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(as('persistence', 'SELECT current_user').trim()).toBe('sightline_persistence');
    expect(as('persistence', 'SELECT count(*) FROM analysis_results').trim()).toBe('0');
    expect(() => as('persistence', 'SELECT * FROM users')).toThrow(/permission denied/);
    expect(as('auth', 'SELECT current_user').trim()).toBe('sightline_auth');
    expect(() => as('auth', 'DELETE FROM analysis_results')).toThrow(/permission denied/);
    expect(() => as('tracker', 'DELETE FROM session_zones')).toThrow(/permission denied/);
  });
});
