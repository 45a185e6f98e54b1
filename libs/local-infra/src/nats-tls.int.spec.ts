/**
 * NATS TLS material made with the real `openssl` and served by a real nats-server: made once and reused, renewed
 * under the same CA when near expiry or when the host list changes; the server then requires TLS of every client
 * (a plaintext client gets no PONG), presents a certificate only its own CA vouches for, and presents the same one
 * after a restart.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalNatsServer } from './nats-server.js';
import { ensureNatsTls, natsServerCertificate, plaintextNatsExchange } from './nats-tls.js';
import { makeTempDir } from './ports.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('nats-tls');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;

describe('ensureNatsTls', () => {
  it('makes a CA and a server certificate for 127.0.0.1 and localhost, keys owner-only, and reuses them', async () => {
    const tlsDir = join(dir, 'reuse');
    const first = await ensureNatsTls(tlsDir);
    expect(first.made).toEqual(['ca', 'server']);
    expect(statSync(tlsDir).mode & 0o777).toBe(0o700);
    for (const key of ['ca.key', 'server.key']) expect(statSync(join(tlsDir, key)).mode & 0o777).toBe(0o600);
    const server = new X509Certificate(readFileSync(first.certFile));
    const ca = new X509Certificate(readFileSync(first.caFile));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('example.com')).toBeUndefined();

    const second = await ensureNatsTls(tlsDir);
    expect(second.made).toEqual([]);
    expect(fingerprint(second.certFile)).toBe(server.fingerprint256);
    expect(fingerprint(second.caFile)).toBe(ca.fingerprint256);
  });

  it('renews a server certificate near its expiry, or one that lacks a host, under the same CA', async () => {
    const tlsDir = join(dir, 'renew');
    const short = await ensureNatsTls(tlsDir, { serverDays: 10 }); // inside the 30-day renewal window
    const ca = fingerprint(short.caFile);
    const expiring = fingerprint(short.certFile);
    const renewed = await ensureNatsTls(tlsDir);
    expect(renewed.made).toEqual(['server']);
    expect(fingerprint(renewed.certFile)).not.toBe(expiring);
    expect(fingerprint(renewed.caFile)).toBe(ca);

    const widened = await ensureNatsTls(tlsDir, { hosts: ['127.0.0.1', 'localhost', 'nats'] });
    expect(widened.made).toEqual(['server']);
    expect(new X509Certificate(readFileSync(widened.certFile)).checkHost('nats')).toBe('nats');
    expect(fingerprint(widened.caFile)).toBe(ca);
  });

  it('replaces a server certificate that another CA signed', async () => {
    const tlsDir = join(dir, 'foreign');
    await ensureNatsTls(tlsDir);
    rmSync(join(tlsDir, 'ca.crt'));
    rmSync(join(tlsDir, 'ca.key'));
    expect((await ensureNatsTls(tlsDir)).made).toEqual(['ca', 'server']);
  });
});

describe('a nats-server with tls', () => {
  let nats: LocalNatsServer;
  let caFile: string;
  let certFile: string;
  beforeAll(async () => {
    const files = await ensureNatsTls(join(dir, 'server-tls'));
    ({ caFile, certFile } = files);
    nats = await LocalNatsServer.start({ dataDir: join(dir, 'nats'), tls: { certFile: files.certFile, keyFile: files.keyFile } });
  });
  afterAll(() => nats?.stop());

  it('refuses a client that speaks plaintext', async () => {
    const reply = await plaintextNatsExchange(nats.port);
    expect(reply).toMatch(/^INFO .*"tls_required":true/);
    expect(reply).not.toMatch(/PONG/);
  });

  it('presents its certificate, which only its own CA vouches for, and the same one after a restart', async () => {
    const presented = await natsServerCertificate(nats.port, caFile);
    expect(presented.fingerprint256).toBe(fingerprint(certFile));
    const otherCa = (await ensureNatsTls(join(dir, 'other-ca'))).caFile;
    await expect(natsServerCertificate(nats.port, otherCa)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    await nats.stop();
    await nats.start();
    expect((await natsServerCertificate(nats.port, caFile)).fingerprint256).toBe(presented.fingerprint256);
  });
});

describe('a nats-server without tls', () => {
  it('answers a plaintext client (the refusal above is the tls block, not the probe)', async () => {
    const nats = await LocalNatsServer.start({ dataDir: join(dir, 'plain') });
    try {
      expect(await plaintextNatsExchange(nats.port, {}, 2000)).toMatch(/PONG/);
      await expect(natsServerCertificate(nats.port, join(dir, 'server-tls', 'ca.crt'))).rejects.toThrow(/offers no TLS/);
    } finally {
      await nats.stop();
    }
  });
});
