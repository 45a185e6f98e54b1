/** Roles and access-token claims shared by the auth service (issuer) and every verifying service. */
export const ROLES = { admin: 'admin', operator: 'operator', agent: 'agent' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];
export const ALL_ROLES: Role[] = [ROLES.admin, ROLES.operator, ROLES.agent];

/** JWT signing algorithm: asymmetric, pinned on both sides (no `none`, no HS/RS confusion). */
export const JWT_ALGORITHM = 'EdDSA';
export const JWT_DEFAULTS = { issuer: 'sightline-auth', audience: 'sightline' } as const;
/** Where the auth service publishes its public keys. */
export const JWKS_PATH = '/.well-known/jwks.json';

export interface AccessTokenClaims {
  sub: string;
  username: string;
  roles: string[];
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
  /** Token issue time, epoch seconds (tokens issued before a password reset are revoked at the auth service). */
  issuedAt: number;
  /** Token expiry, epoch seconds (the gateway closes sockets when it passes). */
  expiresAt: number;
}
