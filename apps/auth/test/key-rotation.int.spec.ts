/**
 * Signing-key rotation with overlap, through the real auth service and its key files: the next key is published
 * before it signs, so a verifier that fetched the JWKS before the switch accepts the new tokens without fetching
 * again; after the switch the previous key stays published until its tokens expired, so tokens from both verify.
 */
import { JWKS_PATH } from '@sightline/contracts';
import { TokenVerifier } from '@sightline/security';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextKeyFile, previousKeyFile, rotateSigningKey } from '@sightline/identity';
import { ADMIN, AuthApp, startDatabase } from './harness.js';

const TTL = 900;

describe('auth service: signing-key rotation with overlap', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;
  let keyFile: string;

  const restart = async () => {
    await auth.stop();
    auth = await AuthApp.start(db.dir, db.pg.url);
  };
  const jwks = async () => (await auth.request<JSONWebKeySet>('GET', JWKS_PATH)).body;
  const kids = async () => (await jwks()).keys.map((key) => key.kid);
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  const adminToken = () => auth.login(ADMIN.username, ADMIN.password);

  beforeAll(async () => {
    db = await startDatabase('auth-key-rotation');
    auth = await AuthApp.start(db.dir, db.pg.url);
    keyFile = auth.config.AUTH_SIGNING_KEY_FILE!;
  });

  afterAll(async () => {
    await auth?.stop();
    await db?.stop();
  });

  it('publishes the next key before it signs, then both keys during the overlap, then only the new one', async () => {
    const oldToken = await adminToken();
    const oldKid = kidOf(oldToken);
    expect(await kids()).toEqual([oldKid]);

    // 1. prepare: the next key is published but does not sign yet.
    const { next: newKid } = await rotateSigningKey(keyFile, 'prepare', TTL);
    expect(statSync(nextKeyFile(keyFile)).mode & 0o777).toBe(0o600);
    await restart();
    expect(await kids()).toEqual([oldKid, newKid]);
    expect(kidOf(await adminToken())).toBe(oldKid);
    // A verifier that holds the key set of this phase (and will not fetch it again).
    const heldBeforeSwitch = new TokenVerifier({ jwks: await jwks() });

    // 2. promote: the new key signs; the previous one is still published.
    expect(await rotateSigningKey(keyFile, 'promote', TTL)).toEqual({ current: newKid, previous: oldKid });
    await restart();
    const newToken = await adminToken();
    expect(kidOf(newToken)).toBe(newKid);
    expect(await kids()).toEqual([newKid, oldKid]);

    const fetching = new TokenVerifier({ jwksUrl: `${auth.url}${JWKS_PATH}` });
    for (const verifier of [heldBeforeSwitch, fetching]) {
      await expect(verifier.verify(oldToken)).resolves.toMatchObject({ username: ADMIN.username });
      await expect(verifier.verify(newToken)).resolves.toMatchObject({ username: ADMIN.username });
    }
    // Auth's own routes accept both as well.
    expect((await auth.request('GET', '/me', { token: oldToken })).status).toBe(200);
    expect((await auth.request('GET', '/me', { token: newToken })).status).toBe(200);

    // 3. retire: refused while tokens of the previous key may be valid, done after the token lifetime.
    await expect(rotateSigningKey(keyFile, 'retire', TTL)).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED' });
    expect(await rotateSigningKey(keyFile, 'retire', TTL, Date.now() + (TTL + 1) * 1000)).toEqual({ retired: oldKid });
    await restart();
    expect(await kids()).toEqual([newKid]);
    const afterRetirement = new TokenVerifier({ jwksUrl: `${auth.url}${JWKS_PATH}` });
    await expect(afterRetirement.verify(newToken)).resolves.toBeDefined();
    await expect(afterRetirement.verify(oldToken)).rejects.toMatchObject({ code: expect.stringMatching(/^TOKEN_/) });
  });

  it('refuses steps out of order and never publishes a private key', async () => {
    await expect(rotateSigningKey(keyFile, 'promote', TTL)).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED' }); // nothing prepared
    await rotateSigningKey(keyFile, 'prepare', TTL);
    await expect(rotateSigningKey(keyFile, 'prepare', TTL)).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED' }); // one waiting
    await rotateSigningKey(keyFile, 'promote', TTL);
    await rotateSigningKey(keyFile, 'prepare', TTL);
    await expect(rotateSigningKey(keyFile, 'promote', TTL)).rejects.toMatchObject({ code: 'KEY_ROTATION_REFUSED' }); // previous still out
    expect(readFileSync(previousKeyFile(keyFile), 'utf8')).toMatch(/PRIVATE KEY/);
    await restart();
    const served = JSON.stringify(await jwks());
    expect((await jwks()).keys).toHaveLength(3);
    expect(served).not.toMatch(/"d":/);
  });
});
