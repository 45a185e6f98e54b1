/**
 * The SSRF guard of RTSP sources against a real TCP listener: a server in a denied network (here loopback, by IP
 * literal and by name) gets no connection at all, and the session ends at once with RTSP_ADDRESS_NOT_ALLOWED; an
 * allowed network is reached as before; `attached` (the networks of this machine's interfaces, in a container the
 * compose network) refuses a listener on the machine's own network address.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { AddressPolicy, openRtspStream } from '@sightline/rtsp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngestHarness, type IngestHarness } from '../../test-support/ingest-harness.js';

let harness: IngestHarness;
let server: Server;
let port: number;
let connections = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    sockets.push(socket);
    socket.end('HTTP/1.1 200 OK\r\n\r\n'); // an internal service that is not a camera
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  harness = await startIngestHarness({ settings: { rtspAddressPolicy: new AddressPolicy({ deny: ['127.0.0.0/8', '::1/128'] }) } });
});
afterAll(async () => {
  await harness?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('RTSP address policy', () => {
  it('never connects to a denied network, by address or by name, and ends the session at once', async () => {
    for (const [sessionId, host] of [
      ['by-ip', '127.0.0.1'],
      ['by-name', 'localhost'],
    ] as const) {
      harness.manager.start({ sessionId, source: { type: 'rtsp', url: `rtsp://${host}:${port}/stream` } });
      const final = await harness.manager.whenEnded(sessionId);
      expect(final).toMatchObject({
        state: 'error',
        lastError: { code: 'RTSP_ADDRESS_NOT_ALLOWED' },
        stats: { framesPublished: 0, reconnects: 0 },
      });
    }
    expect(connections).toBe(0);
  });

  it('connects to an allowed network as before', async () => {
    const allowed = new AddressPolicy({ allow: ['127.0.0.0/8'] });
    await expect(
      openRtspStream({ url: `rtsp://127.0.0.1:${port}/stream`, addressPolicy: allowed, connectTimeoutMs: 2000, responseTimeoutMs: 2000 }),
    ).rejects.toMatchObject({
      code: expect.not.stringMatching(/ADDRESS_NOT_ALLOWED/),
    });
    expect(connections).toBe(1);
  });

  it('with `attached`, never connects to the networks this machine is on (in a container: the compose network)', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(address, 'a non-loopback IPv4 address on this machine').toBeDefined();
    let neighbourConnections = 0;
    const neighbour = createServer((socket) => {
      neighbourConnections++;
      sockets.push(socket);
      socket.end('HTTP/1.1 200 OK\r\n\r\n');
    });
    await new Promise<void>((resolve) => neighbour.listen(0, address, resolve));
    try {
      const url = `rtsp://${address}:${(neighbour.address() as AddressInfo).port}/stream`;
      await expect(
        openRtspStream({ url, addressPolicy: new AddressPolicy({ deny: ['attached'] }), connectTimeoutMs: 2000, responseTimeoutMs: 2000 }),
      ).rejects.toMatchObject({ code: 'RTSP_ADDRESS_NOT_ALLOWED' });
      expect(neighbourConnections).toBe(0);
      // The same listener is reached without the policy: the refusal above is the policy's.
      await expect(openRtspStream({ url, connectTimeoutMs: 2000, responseTimeoutMs: 2000 })).rejects.toMatchObject({
        code: expect.not.stringMatching(/ADDRESS_NOT_ALLOWED/),
      });
      expect(neighbourConnections).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => neighbour.close(resolve));
    }
  });
});
