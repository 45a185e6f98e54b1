/**
 * OAuth2 password grant against the auth service (`POST <authUrl>/login`, form-encoded), for agents that hold a
 * username and password rather than a token. `passwordTokenSource` caches the token and logs in again shortly before
 * it expires, so it can be handed to AnalysisClient as `getToken`.
 */
import { AnalysisClientError, ClientErrorCode } from './errors.js';

export interface PasswordLogin {
  /** Base URL of the auth service, e.g. `http://127.0.0.1:3001`. */
  authUrl: string;
  username: string;
  password: string;
}

export interface IssuedToken {
  accessToken: string;
  /** Seconds, as the auth service reported. */
  expiresIn: number;
}

export async function loginWithPassword(login: PasswordLogin): Promise<IssuedToken> {
  const body = new URLSearchParams({ grant_type: 'password', username: login.username, password: login.password });
  let response: Response;
  try {
    response = await fetch(new URL('/login', login.authUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new AnalysisClientError(
      ClientErrorCode.authUnreachable,
      `cannot reach the auth service at ${login.authUrl}: ${(err as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new AnalysisClientError(
      ClientErrorCode.loginFailed,
      `login refused by the auth service (HTTP ${response.status})`,
      response.status,
    );
  }
  const json = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
  if (typeof json.access_token !== 'string') {
    throw new AnalysisClientError(ClientErrorCode.loginFailed, 'auth service answered without an access_token');
  }
  return { accessToken: json.access_token, expiresIn: typeof json.expires_in === 'number' ? json.expires_in : 0 };
}

/** A `getToken` that logs in once and again when the token is within `refreshMarginSeconds` of expiring. */
export function passwordTokenSource(login: PasswordLogin, refreshMarginSeconds = 30): () => Promise<string> {
  let cached: { token: string; renewAt: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.renewAt) return cached.token;
    const issued = await loginWithPassword(login);
    cached = { token: issued.accessToken, renewAt: Date.now() + Math.max(0, issued.expiresIn - refreshMarginSeconds) * 1000 };
    return cached.token;
  };
}
