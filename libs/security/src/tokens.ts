/**
 * Access tokens: signed by the auth service with an Ed25519 key (EdDSA), verified everywhere else against the
 * published JWKS. The algorithm is pinned on both sides, so `alg: none` and HS/RS key-confusion tokens are refused.
 */
import {
  JWT_ALGORITHM,
  JWT_DEFAULTS,
  SightlineError,
  sessionScopeOf,
  type AccessTokenClaims,
  type Principal,
  type SessionScope,
} from '@sightline/contracts';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  createLocalJWKSet,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  jwtVerify,
  SignJWT,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWK,
  type CryptoKey,
} from 'jose';
import { type RevocationList } from './revocations.js';
import { RemoteKeySet, type RemoteKeySetOptions } from './key-set.js';
import { SecurityErrorCode } from './errors.js';

export interface TokenVerifierOptions {
  /** Remote key set (the auth service's JWKS URL), fetched lazily and cached. */
  jwksUrl?: string;
  /** Or a local key set (tests, air-gapped deployments). */
  jwks?: JSONWebKeySet;
  /** Refresh and cooldown of the remote key set (defaults 10 min and 30 s). */
  keySet?: RemoteKeySetOptions;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds?: number;
  /** Tokens revoked after they were issued (password reset, role or grant removed, user deleted). */
  revocations?: RevocationList;
  /**
   * Tokens issued (`iat`) longer ago than this are refused whatever their `exp`: a token minted with a leaked key and a
   * far-future expiry does not live on. Default 86 400 s, the longest access-token TTL auth allows.
   */
  maxTokenAgeSeconds?: number;
}

export class TokenVerifier {
  private readonly keys: ReturnType<typeof createLocalJWKSet> | RemoteKeySet['resolve'];
  private readonly issuer: string;
  private readonly audience: string;

  constructor(private readonly options: TokenVerifierOptions) {
    if (options.jwks) this.keys = createLocalJWKSet(options.jwks);
    else if (options.jwksUrl) this.keys = new RemoteKeySet(new URL(options.jwksUrl), options.keySet).resolve;
    else throw new SightlineError(SecurityErrorCode.configInvalid, 'TokenVerifier needs jwksUrl or jwks');
    this.issuer = options.issuer ?? JWT_DEFAULTS.issuer;
    this.audience = options.audience ?? JWT_DEFAULTS.audience;
  }

  /** Resolves the token's principal, or throws TOKEN_EXPIRED / TOKEN_INVALID / AUTH_KEYS_UNAVAILABLE. */
  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: [JWT_ALGORITHM],
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: this.options.maxTokenAgeSeconds ?? 86_400,
      });
      const claims = payload as Partial<AccessTokenClaims>;
      if (typeof claims.username !== 'string' || !Array.isArray(claims.roles)) {
        throw new SightlineError(SecurityErrorCode.tokenInvalid, 'token lacks username/roles claims');
      }
      const roles = claims.roles.map(String);
      const principal: Principal = {
        userId: String(claims.sub),
        username: claims.username,
        roles,
        sessions: sessionScopeOf(roles, claims.sessions),
        issuedAt: claims.iat!,
        expiresAt: claims.exp!,
      };
      if (this.options.revocations?.isRevoked(principal))
        throw new SightlineError(SecurityErrorCode.tokenRevoked, 'token revoked: log in again');
      return principal;
    } catch (err) {
      if (err instanceof SightlineError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new SightlineError(SecurityErrorCode.tokenExpired, 'token expired');
      if (isKeyFetchFailure(err)) {
        throw new SightlineError(SecurityErrorCode.authKeysUnavailable, 'cannot fetch the auth service keys', {}, { cause: err });
      }
      // Deliberately vague towards the client; the precise reason stays in `cause` for our logs.
      throw new SightlineError(SecurityErrorCode.tokenInvalid, 'token invalid', { reason: (err as Error).message }, { cause: err });
    }
  }
}

export interface SignedToken {
  token: string;
  expiresIn: number;
}

/** Signs access tokens. The auth service keeps its key in a file; tests use an ephemeral one. */
export class TokenSigner {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    private readonly issuer: string,
    private readonly audience: string,
    /** Keys published in the JWKS that do not sign: the next key (before a rotation) and the previous one (after). */
    private readonly alsoPublished: readonly JWK[] = [],
  ) {}

  /** The same signer, also publishing these public keys (key rotation with overlap). */
  publishing(keys: readonly JWK[]): TokenSigner {
    const others = keys.filter((key) => key.kid !== this.publicJwk.kid);
    return new TokenSigner(this.privateKey, this.publicJwk, this.issuer, this.audience, others);
  }

  static async generate(options: { issuer?: string; audience?: string; kid?: string } = {}): Promise<TokenSigner> {
    const { privateKey, publicKey } = await generateKeyPair(JWT_ALGORITHM, { crv: 'Ed25519', extractable: true });
    return TokenSigner.fromKeys(privateKey, await exportJWK(publicKey), options);
  }

  static async fromPkcs8(pem: string, options: { issuer?: string; audience?: string; kid?: string } = {}): Promise<TokenSigner> {
    const privateKey = await importPKCS8(pem, JWT_ALGORITHM, { extractable: true });
    const publicJwk = createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' }) as JWK;
    return TokenSigner.fromKeys(privateKey, publicJwk, options);
  }

  private static fromKeys(
    privateKey: CryptoKey,
    publicJwk: JWK,
    options: { issuer?: string; audience?: string; kid?: string },
  ): TokenSigner {
    const kid = options.kid ?? createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
    return new TokenSigner(
      privateKey,
      { ...publicJwk, kid, alg: JWT_ALGORITHM, use: 'sig' },
      options.issuer ?? JWT_DEFAULTS.issuer,
      options.audience ?? JWT_DEFAULTS.audience,
    );
  }

  async exportPkcs8(): Promise<string> {
    return exportPKCS8(this.privateKey);
  }

  /** The signing key first, then any key published alongside it. */
  jwks(): JSONWebKeySet {
    return { keys: [this.publicJwk, ...this.alsoPublished] };
  }

  /** `sessions`: the granted sessions (omitted = none; operators and admins see every session regardless). */
  async sign(
    subject: { userId: string | number; username: string; roles: string[]; sessions?: SessionScope },
    ttlSeconds: number,
  ): Promise<SignedToken> {
    const claims = {
      username: subject.username,
      roles: subject.roles,
      ...(subject.sessions !== undefined && { sessions: subject.sessions }),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: JWT_ALGORITHM, kid: this.publicJwk.kid, typ: 'JWT' })
      .setSubject(String(subject.userId))
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.privateKey);
    return { token, expiresIn: ttlSeconds };
  }
}

/** The key set could not be fetched (auth service down, timeout, bad answer): a server-side problem, not the token's. */
function isKeyFetchFailure(err: unknown): boolean {
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return true;
  const e = err as { code?: string; name?: string; message?: string };
  return e?.code === 'ERR_JOSE_GENERIC' || (e?.name === 'TypeError' && /fetch failed/i.test(e.message ?? ''));
}

/** Extracts the token from an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i);
  return match?.[1];
}
