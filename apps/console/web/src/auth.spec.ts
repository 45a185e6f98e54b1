import { describe, expect, it } from 'vitest';
import { canOperate, isAdmin, sessionFromToken } from './auth.js';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims: Record<string, unknown>) => `${b64url({ alg: 'EdDSA' })}.${b64url(claims)}.c2ln`;

describe('sessionFromToken', () => {
  it('reads who, which roles and until when (including non-ASCII names)', () => {
    const session = sessionFromToken(token({ sub: '7', username: 'zoë', roles: ['operator'], exp: 1_900_000_000 }));
    expect(session).toMatchObject({ username: 'zoë', roles: ['operator'], expiresAt: 1_900_000_000_000 });
    expect(canOperate(session)).toBe(true);
    expect(isAdmin(session)).toBe(false);
  });

  it('falls back to expires_in without exp, and agents may not operate', () => {
    const session = sessionFromToken(token({ username: 'bot', roles: ['agent'] }), 1000, 60);
    expect(session.expiresAt).toBe(61_000);
    expect(canOperate(session)).toBe(false);
  });

  it('refuses something that is not a JWT', () => {
    expect(() => sessionFromToken('opaque')).toThrow(/not a JWT/);
  });
});
