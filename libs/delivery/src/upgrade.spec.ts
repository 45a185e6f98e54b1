import { TokenSigner, TokenVerifier } from '@sightline/security';
import { describe, expect, it } from 'vitest';
import { authorizeUpgrade, offeredSubprotocols, upgradeToken } from './upgrade.js';

const ROLES = ['agent', 'operator', 'admin'];

describe('upgrade authorisation', async () => {
  const signer = await TokenSigner.generate();
  const verifier = new TokenVerifier({ jwks: signer.jwks() });
  const token = (await signer.sign({ userId: 1, username: 'ada', roles: ['agent'] }, 60)).token;

  it('parses offered subprotocols across header lines', () => {
    expect(offeredSubprotocols({ 'sec-websocket-protocol': 'json, abc.def.ghi' })).toEqual(['json', 'abc.def.ghi']);
    expect(offeredSubprotocols({})).toEqual([]);
  });

  it('takes the token from the Authorization header first, else from a JWT-shaped subprotocol', () => {
    expect(upgradeToken({ authorization: 'Bearer h.e.ader', 'sec-websocket-protocol': 'json, s.u.b' })).toBe('h.e.ader');
    expect(upgradeToken({ 'sec-websocket-protocol': 'json, s.u.b' })).toBe('s.u.b');
    expect(upgradeToken({ 'sec-websocket-protocol': 'json, chat' })).toBeUndefined();
  });

  it('admits a valid token offered with json, by header or subprotocol', async () => {
    for (const headers of [
      { authorization: `Bearer ${token}`, 'sec-websocket-protocol': 'json' },
      { 'sec-websocket-protocol': `json, ${token}` },
    ]) {
      const decision = await authorizeUpgrade({ url: '/ws/analysis', headers }, verifier, ROLES);
      expect(decision).toMatchObject({ principal: { username: 'ada', roles: ['agent'] } });
    }
  });

  it('checks the subprotocol before the token, and refuses tokens in the query string', async () => {
    expect(await authorizeUpgrade({ url: '/ws/analysis', headers: {} }, verifier, ROLES)).toMatchObject({
      refusal: { status: 400, code: 'SUBPROTOCOL_REQUIRED' },
    });
    expect(
      await authorizeUpgrade({ url: `/ws/analysis?token=${token}`, headers: { 'sec-websocket-protocol': 'json' } }, verifier, ROLES),
    ).toMatchObject({ refusal: { status: 400, code: 'TOKEN_IN_QUERY', authFailure: 'token_in_query' } });
  });

  it('maps verification failures and missing roles to 401/403 with a reason', async () => {
    const json = { 'sec-websocket-protocol': 'json' };
    const expired = (await signer.sign({ userId: 1, username: 'ada', roles: ['agent'] }, -60)).token;
    const guest = (await signer.sign({ userId: 2, username: 'bob', roles: ['guest'] }, 60)).token;
    const cases = [
      [{}, 401, 'TOKEN_MISSING', 'missing'],
      [{ authorization: 'Bearer x.y.z' }, 401, 'TOKEN_INVALID', 'invalid'],
      [{ authorization: `Bearer ${expired}` }, 401, 'TOKEN_EXPIRED', 'expired'],
      [{ authorization: `Bearer ${guest}` }, 403, 'FORBIDDEN', 'forbidden'],
    ] as const;
    for (const [headers, status, code, authFailure] of cases) {
      const decision = await authorizeUpgrade({ url: '/ws/analysis', headers: { ...json, ...headers } }, verifier, ROLES);
      expect(decision).toEqual({ refusal: { status, code, message: expect.any(String), authFailure } });
    }
  });

  it('answers 503 (retry later), not 401, when the auth service keys cannot be fetched', async () => {
    const unreachable = new TokenVerifier({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
    const headers = { authorization: `Bearer ${token}`, 'sec-websocket-protocol': 'json' };
    expect(await authorizeUpgrade({ url: '/ws/analysis', headers }, unreachable, ROLES)).toMatchObject({
      refusal: { status: 503, code: 'AUTH_KEYS_UNAVAILABLE', authFailure: 'keys_unavailable' },
    });
  });
});
