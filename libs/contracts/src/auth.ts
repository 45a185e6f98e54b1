import { ALL_SESSIONS } from './ws.js';

/** Roles and access-token claims shared by the auth service (issuer) and every verifying service. */
export const ROLES = { admin: 'admin', operator: 'operator', agent: 'agent' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];
export const ALL_ROLES: Role[] = [ROLES.admin, ROLES.operator, ROLES.agent];

/** JWT signing algorithm: asymmetric, pinned on both sides (no `none`, no HS/RS confusion). */
export const JWT_ALGORITHM = 'EdDSA';
export const JWT_DEFAULTS = { issuer: 'sightline-auth', audience: 'sightline' } as const;
/** Where the auth service publishes its public keys. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** Where the auth service publishes revoked tokens (per user: issued before T), same origin as the JWKS. */
export const REVOCATIONS_PATH = '/token-revocations';

/**
 * Which sessions' data (results, snapshots, source metadata, live feed) a principal may see: every session (`*`), or
 * the listed ids. Operators and admins see every session; anyone else sees only what an admin granted them.
 */
export type SessionScope = typeof ALL_SESSIONS | readonly string[];
/** Roles that see every session and its operational details (source URL, last error). */
export const OPERATING_ROLES: readonly Role[] = [ROLES.admin, ROLES.operator];
/** Most session grants a token carries; an admin grants `*` rather than more ids than this. */
export const MAX_SESSION_GRANTS = 256;

export interface AccessTokenClaims {
  sub: string;
  username: string;
  roles: string[];
  /** Granted sessions (absent = none); operators and admins see every session whatever this says. */
  sessions?: SessionScope;
  iss: string;
  aud: string | string[];
  exp: number;
  iat: number;
}

/** The identity a verified request carries through guards and handlers. */
export interface Principal {
  userId: string;
  username: string;
  roles: string[];
  /** The sessions whose data this principal may see. */
  sessions: SessionScope;
  /** Token issue time, epoch seconds (tokens issued before a password reset are revoked at the auth service). */
  issuedAt: number;
  /** Token expiry, epoch seconds (the gateway closes sockets when it passes). */
  expiresAt: number;
}

/** Operators and admins: every session, with source URLs and error details. */
export function isOperating(principal: Pick<Principal, 'roles'>): boolean {
  return principal.roles.some((role) => (OPERATING_ROLES as readonly string[]).includes(role));
}

/** The effective scope: `*` for operating roles, else the granted sessions (none when the claim is missing or bad). */
export function sessionScopeOf(roles: readonly string[], claim: unknown): SessionScope {
  if (isOperating({ roles: [...roles] })) return ALL_SESSIONS;
  if (claim === ALL_SESSIONS) return ALL_SESSIONS;
  if (!Array.isArray(claim)) return [];
  return claim.filter((id): id is string => typeof id === 'string').slice(0, MAX_SESSION_GRANTS);
}

export function canSeeSession(principal: Pick<Principal, 'sessions'>, sessionId: string): boolean {
  return principal.sessions === ALL_SESSIONS || principal.sessions.includes(sessionId);
}
