import { createHmac, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenSigner, TokenVerifier, bearerToken } from './tokens.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('access tokens', async () => {
  const signer = await TokenSigner.generate();
  const verifier = new TokenVerifier({ jwks: signer.jwks() });
  const user = { userId: 7, username: 'ada', roles: ['agent'] };

  it('round-trips a signed token into a principal', async () => {
    const { token } = await signer.sign(user, 60);
    const principal = await verifier.verify(token);
    expect(principal).toMatchObject({ userId: '7', username: 'ada', roles: ['agent'] });
    expect(principal.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('refuses expired tokens with TOKEN_EXPIRED', async () => {
    const { token } = await signer.sign(user, -60);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('refuses a token signed by another key', async () => {
    const other = await TokenSigner.generate();
    const { token } = await other.sign(user, 60);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('refuses alg:none and an HS256 token keyed with the public key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: '7', username: 'ada', roles: ['admin'], iss: 'sightline-auth', aud: 'sightline', iat: now, exp: now + 60 };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    await expect(verifier.verify(none)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const publicPem = createPublicKey({ key: signer.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid: signer.publicJwk.kid })}.${b64(claims)}`;
    const hs = `${unsigned}.${createHmac('sha256', publicPem).update(unsigned).digest('base64url')}`;
    await expect(verifier.verify(hs)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('refuses a wrong audience or issuer', async () => {
    const foreign = await TokenSigner.generate({ audience: 'someone-else' });
    const strict = new TokenVerifier({ jwks: foreign.jwks() });
    await expect(strict.verify((await foreign.sign(user, 60)).token)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const otherIssuer = await TokenSigner.generate({ issuer: 'evil' });
    const v2 = new TokenVerifier({ jwks: otherIssuer.jwks() });
    await expect(v2.verify((await otherIssuer.sign(user, 60)).token)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('reloads a persisted key and keeps verifying', async () => {
    const pem = await signer.exportPkcs8();
    const reloaded = await TokenSigner.fromPkcs8(pem);
    expect(reloaded.publicJwk.kid).toBe(signer.publicJwk.kid);
    await expect(verifier.verify((await reloaded.sign(user, 60)).token)).resolves.toMatchObject({ username: 'ada' });
  });

  it('parses only well-formed bearer headers', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});

describe('key set availability', () => {
  it('reports an unreachable JWKS as AUTH_KEYS_UNAVAILABLE, not as a bad token', async () => {
    const signer = await TokenSigner.generate();
    const { token } = await signer.sign({ userId: 1, username: 'x', roles: ['agent'] }, 60);
    const verifier = new TokenVerifier({ jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'AUTH_KEYS_UNAVAILABLE' });
  });
});

describe('session scope claim', async () => {
  const signer = await TokenSigner.generate();
  const verifier = new TokenVerifier({ jwks: signer.jwks() });
  const scopeOf = async (roles: string[], sessions?: string[] | '*') =>
    (await verifier.verify((await signer.sign({ userId: 3, username: 'sam', roles, sessions }, 60)).token)).sessions;

  it('carries the granted sessions; none when the claim is missing', async () => {
    expect(await scopeOf(['agent'], ['cam-1', 'cam-2'])).toEqual(['cam-1', 'cam-2']);
    expect(await scopeOf(['agent'], '*')).toBe('*');
    expect(await scopeOf(['agent'])).toEqual([]);
  });

  it('gives operators and admins every session whatever the claim says', async () => {
    expect(await scopeOf(['operator'])).toBe('*');
    expect(await scopeOf(['admin', 'agent'], [])).toBe('*');
  });
});
