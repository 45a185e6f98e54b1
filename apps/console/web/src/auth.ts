/**
 * The signed-in user, held in memory only: the access token lives in this object and in the closures that use it,
 * never in localStorage, sessionStorage, cookies or the URL. A reload therefore means logging in again (the auth
 * service issues no refresh tokens), which is the price of not leaving a bearer token where scripts can find it.
 */
import { ROLES, type AccessTokenClaims } from '@sightline/contracts';

export interface AuthSession {
  token: string;
  username: string;
  roles: string[];
  /** Token expiry, epoch milliseconds. */
  expiresAt: number;
}

export interface IssuedToken {
  access_token: string;
  token_type: string;
  expires_in: number;
}

/**
 * Reads the token's claims to label the UI (who, which roles, until when). The console never decides access from
 * them: every service verifies the signature and the roles itself; a hidden button is convenience, not security.
 */
export function sessionFromToken(token: string, now = Date.now(), expiresInSeconds?: number): AuthSession {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('access token is not a JWT');
  const claims = JSON.parse(decodeBase64Url(payload)) as Partial<AccessTokenClaims>;
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : now + (expiresInSeconds ?? 0) * 1000;
  return {
    token,
    username: typeof claims.username === 'string' ? claims.username : '?',
    roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [],
    expiresAt,
  };
}

export const isAdmin = (session: Pick<AuthSession, 'roles'>): boolean => session.roles.includes(ROLES.admin);

/** Operators and admins start and stop sessions (ingest enforces the same rule); agents only watch. */
export const canOperate = (session: Pick<AuthSession, 'roles'>): boolean =>
  session.roles.includes(ROLES.admin) || session.roles.includes(ROLES.operator);

function decodeBase64Url(text: string): string {
  const base64 = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
