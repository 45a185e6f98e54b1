import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, isAddressInUse, isPortFree, withFreePorts } from './ports.js';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('freePort', () => {
  it('picks free ports below the ephemeral range, never the same one twice in a process', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.every((p) => p >= 1024 && p < ephemeralLow)).toBe(true);
  });

  it('tells a port in use from a free one', async () => {
    const port = await freePort();
    expect(await isPortFree(port)).toBe(true);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      holder.close();
    }
  });
});

describe('withFreePorts', () => {
  it('picks new ports and tries again when a start fails with "address already in use"', async () => {
    const tried: number[][] = [];
    const result = await withFreePorts(2, async (ports) => {
      tried.push(ports);
      if (tried.length < 3) throw new Error('nats-server exited:\n[ERR] listen tcp 127.0.0.1:1234: bind: address already in use');
      return 'started';
    });
    expect(result).toBe('started');
    expect(tried).toHaveLength(3);
    expect(new Set(tried.flat()).size).toBe(6);
  });

  it('does not retry other failures, and gives up after the last try', async () => {
    let calls = 0;
    await expect(withFreePorts(1, async () => (calls++, Promise.reject(new Error('initdb failed'))))).rejects.toThrow('initdb failed');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withFreePorts(1, async () => (calls++, Promise.reject(Object.assign(new Error('listen'), { code: 'EADDRINUSE' }))), 2),
    ).rejects.toThrow();
    expect(calls).toBe(2);
  });

  it('recognises the ways children report a taken port', () => {
    expect(isAddressInUse(new Error('could not bind IPv4 address "127.0.0.1": Address already in use'))).toBe(true);
    expect(isAddressInUse(Object.assign(new Error('listen'), { code: 'EADDRINUSE' }))).toBe(true);
    expect(isAddressInUse(new Error('could not listen on port 8554'))).toBe(true);
    expect(isAddressInUse(new Error('connection refused'))).toBe(false);
  });
});
