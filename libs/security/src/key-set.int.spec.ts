/**
 * Verifiers against a real HTTP key-set endpoint that fails: the last good keys keep verifying when a refresh fails
 * (an auth outage is not a fleet-wide authentication outage), a rotated key is fetched on its first token, and
 * without any good fetch tokens are refused as AUTH_KEYS_UNAVAILABLE. Also: tokens older than maxTokenAge are refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenSigner, TokenVerifier } from './tokens.js';

let server: Server;
let url: string;
/** What the endpoint answers: a key set, or an HTTP status. */
let answer: JSONWebKeySet | number = 503;
let requests = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    if (typeof answer === 'number') res.writeHead(answer).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const principal = { userId: '7', username: 'ada', roles: ['agent'] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TokenVerifier key set', () => {
  it('keeps verifying with the last good keys while the key endpoint fails', async () => {
    const signer = await TokenSigner.generate({ kid: 'k1' });
    const { token } = await signer.sign(principal, 600);
    const verifier = new TokenVerifier({ jwksUrl: url, keySet: { cacheMaxAgeMs: 20, onRefreshFailed: () => undefined } });

    answer = 503;
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'AUTH_KEYS_UNAVAILABLE' });
    answer = signer.jwks();
    await expect(verifier.verify(token)).resolves.toMatchObject({ username: 'ada' });

    answer = 503;
    const before = requests;
    await sleep(50); // past the cache age: the next verification refreshes, and the refresh fails
    await expect(verifier.verify(token)).resolves.toMatchObject({ username: 'ada' });
    expect(requests).toBeGreaterThan(before);
  });

  it('fetches a rotated key on the first token that names it; both keys verify during the overlap', async () => {
    const [oldKey, newKey] = await Promise.all([TokenSigner.generate({ kid: 'old' }), TokenSigner.generate({ kid: 'new' })]);
    answer = oldKey.jwks();
    const verifier = new TokenVerifier({ jwksUrl: url, keySet: { cooldownMs: 0 } });
    await expect(verifier.verify((await oldKey.sign(principal, 600)).token)).resolves.toBeDefined();
    answer = { keys: [...newKey.jwks().keys, ...oldKey.jwks().keys] };
    await expect(verifier.verify((await newKey.sign(principal, 600)).token)).resolves.toBeDefined();
    await expect(verifier.verify((await oldKey.sign(principal, 600)).token)).resolves.toBeDefined();
  });

  it('refuses a token issued longer ago than maxTokenAge, whatever its expiry', async () => {
    const signer = await TokenSigner.generate();
    const verifier = new TokenVerifier({ jwks: signer.jwks(), maxTokenAgeSeconds: 1, clockToleranceSeconds: 0 });
    const { token } = await signer.sign(principal, 3600);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await sleep(2100);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });
});
