import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationList } from './revocations.js';
import { TokenSigner, TokenVerifier } from './tokens.js';

describe('revocation feed', () => {
  let server: Server;
  let url: string;
  let status = 200;
  let body: unknown = { revocations: [] };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/token-revocations`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('refuses tokens issued before the cutoff of their user only, and tells listeners when something is revoked', async () => {
    const signer = await TokenSigner.generate();
    const list = new RevocationList({ url });
    const verifier = new TokenVerifier({ jwks: signer.jwks(), revocations: list });
    const token = async (userId: number) => (await signer.sign({ userId, username: `u${userId}`, roles: ['agent'] }, 60)).token;
    const early = await token(7);
    const other = await token(8);
    let changes = 0;
    list.onChange(() => changes++);

    body = { revocations: [{ userId: '7', revokedBefore: new Date(Date.now() + 2000).toISOString() }] };
    await list.poll();
    expect(changes).toBe(1);
    await expect(verifier.verify(early)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    await expect(verifier.verify(other)).resolves.toMatchObject({ userId: '8' });
    // The same list again is no news.
    await list.poll();
    expect(changes).toBe(1);
  });

  it('keeps the last good list when the feed fails, and reports failure and recovery once each', async () => {
    const health: (string | undefined)[] = [];
    const list = new RevocationList({ url, onHealthChange: (error) => health.push(error?.message) });
    body = { revocations: [{ userId: '9', revokedBefore: new Date(Date.now() + 60_000).toISOString() }] };
    await list.poll();
    status = 503;
    await list.poll();
    await list.poll();
    expect(list.isRevoked({ userId: '9', issuedAt: Math.floor(Date.now() / 1000) })).toBe(true);
    status = 200;
    body = { revocations: 'not a list' };
    await list.poll();
    expect(list.isRevoked({ userId: '9', issuedAt: Math.floor(Date.now() / 1000) })).toBe(true);
    body = { revocations: [] };
    await list.poll();
    expect(list.isRevoked({ userId: '9', issuedAt: Math.floor(Date.now() / 1000) })).toBe(false);
    expect(health).toHaveLength(2);
    expect(health[0]).toMatch(/503/);
    expect(health[1]).toBeUndefined();
  });
});
