/**
 * NatsClient over TLS against a real nats-server that requires it (the local fleet's and compose's configuration):
 * a service identity connects and works over TLS; a client that trusts another CA, a client without credentials,
 * and a plaintext client are refused; a client asked for TLS refuses a server that offers none (no downgrade); a
 * missing CA file stops the client with its own code before any attempt.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { STREAMS } from '@sightline/contracts';
import { LocalNatsServer, ensureNatsTls, makeTempDir, plaintextNatsExchange } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsClient } from './connection.js';
import { NATS_IDENTITIES, natsAuthorizationConfig, type NatsIdentity } from './identities.js';
import { ensureStreams } from './streams.js';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const passwords = Object.fromEntries(NATS_IDENTITIES.map((id) => [id, `n${randomBytes(12).toString('hex')}`])) as Record<
  NatsIdentity,
  string
>;

let dir: string;
let nats: LocalNatsServer;
let caFile: string;

beforeAll(async () => {
  dir = await makeTempDir('nats-client-tls');
  const tls = await ensureNatsTls(join(dir, 'tls'));
  caFile = tls.caFile;
  nats = await LocalNatsServer.start({
    dataDir: join(dir, 'nats'),
    authorization: natsAuthorizationConfig((id) => JSON.stringify(passwords[id])),
    tls: { certFile: tls.certFile, keyFile: tls.keyFile },
  });
});
afterAll(() => nats?.stop());

const connectAs = (id: NatsIdentity, ca: string | undefined, connectTimeoutMs = 10_000) =>
  NatsClient.connect({
    url: nats.url,
    name: `tls-${id}`,
    user: id,
    password: passwords[id],
    ...(ca !== undefined && { tls: { caFile: ca } }),
    logger,
    connectTimeoutMs,
  });

describe('NatsClient over TLS', () => {
  it('connects a service identity over TLS, which then does its job', async () => {
    const provisioner = await connectAs('provisioner', caFile);
    try {
      await ensureStreams(provisioner.manager);
      const inference = await connectAs('inference', caFile);
      try {
        expect((await inference.manager.streams.info(STREAMS.frames)).config.name).toBe(STREAMS.frames);
        // The server's own view: both connections negotiated TLS, as their identities.
        const connz = (await (await fetch(`http://127.0.0.1:${nats.monitorPort}/connz?auth=1`)).json()) as {
          connections: { name: string; authorized_user?: string; tls_version?: string }[];
        };
        for (const id of ['provisioner', 'inference']) {
          expect(connz.connections.find((c) => c.name === `tls-${id}`)).toMatchObject({
            authorized_user: id,
            tls_version: expect.stringMatching(/^1\.[23]$/),
          });
        }
      } finally {
        await inference.drain();
      }
    } finally {
      await provisioner.drain();
    }
  });

  it('refuses a client that trusts another CA, and one that trusts only the system CAs', async () => {
    const otherCa = (await ensureNatsTls(join(dir, 'other'))).caFile;
    const refused = connectAs('inference', otherCa, 500);
    await expect(refused).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE' });
    await expect(refused.catch((err: Error) => String((err.cause as Error)?.message))).resolves.toMatch(
      /self[- ]signed|unable to (get|verify)/i,
    );
    await expect(connectAs('inference', undefined, 500)).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE' });
  });

  it('refuses a plaintext client even with valid credentials', async () => {
    const reply = await plaintextNatsExchange(nats.port, { user: 'inference', pass: passwords.inference });
    expect(reply).toMatch(/"tls_required":true/);
    expect(reply).not.toMatch(/PONG|\+OK/);
  });

  it('stops with NATS_TLS_CA_MISSING, before connecting, when the CA file is missing', async () => {
    await expect(connectAs('inference', join(dir, 'no-such-ca.crt'))).rejects.toMatchObject({
      code: 'NATS_TLS_CA_MISSING',
      context: { caFile: join(dir, 'no-such-ca.crt') },
    });
  });

  it('refuses a server that offers no TLS when asked for TLS (no silent downgrade)', async () => {
    const plain = await LocalNatsServer.start({ dataDir: join(dir, 'plain') });
    try {
      const refused = NatsClient.connect({ url: plain.url, name: 'downgrade', tls: { caFile }, logger, connectTimeoutMs: 500 });
      await expect(refused).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE' });
      await expect(refused.catch((err: Error) => String((err.cause as Error)?.message))).resolves.toMatch(/tls/i);
    } finally {
      await plain.stop();
    }
  });
});
