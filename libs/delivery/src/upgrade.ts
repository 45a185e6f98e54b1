/**
 * Decides, before any WebSocket exists, whether an upgrade request to /ws/analysis may proceed:
 * the `json` subprotocol must be offered, a token must come in `Authorization: Bearer` or as a further offered
 * subprotocol (browsers cannot set headers), never in the query string, and it must verify and carry an allowed role.
 * A refusal becomes a plain HTTP response (status + `{code, message}` JSON) written on the raw socket.
 */
import { SightlineError, WS_SUBPROTOCOL, WsUpgradeRefusalCode as Code, type Principal } from '@sightline/contracts';
import { bearerToken, hasAnyRole, type TokenVerifier } from '@sightline/security';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { type Duplex } from 'node:stream';
import { type AuthFailureReason } from './metrics.js';

export interface UpgradeRefusal {
  status: 400 | 401 | 403 | 404 | 429 | 503;
  code: Code;
  message: string;
  /** Set when the refusal is an authentication/authorisation failure (counted by reason). */
  authFailure?: AuthFailureReason;
}

export type UpgradeDecision = { principal: Principal } | { refusal: UpgradeRefusal };

export interface UpgradeRequest {
  url?: string;
  headers: IncomingHttpHeaders;
}

/** Subprotocols offered in `Sec-WebSocket-Protocol` (comma-separated, possibly over several header lines). */
export function offeredSubprotocols(headers: IncomingHttpHeaders): string[] {
  const raw = headers['sec-websocket-protocol'];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const QUERY_TOKEN_PARAMS = ['token', 'access_token', 'jwt', 'authorization'];

/** The token from the Authorization header, else the first offered subprotocol shaped like a JWT. */
export function upgradeToken(headers: IncomingHttpHeaders): string | undefined {
  return bearerToken(headers.authorization) ?? offeredSubprotocols(headers).find((p) => p !== WS_SUBPROTOCOL && JWT_SHAPE.test(p));
}

export async function authorizeUpgrade(
  request: UpgradeRequest,
  verifier: TokenVerifier,
  allowedRoles: readonly string[],
): Promise<UpgradeDecision> {
  if (!offeredSubprotocols(request.headers).includes(WS_SUBPROTOCOL)) {
    return refuse(400, Code.subprotocolRequired, `offer the WebSocket subprotocol "${WS_SUBPROTOCOL}" (Sec-WebSocket-Protocol)`);
  }
  const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
  if (QUERY_TOKEN_PARAMS.some((name) => query.has(name))) {
    // Query strings end up in proxy and access logs: refuse rather than silently accept a leaked credential.
    return refuse(
      400,
      Code.tokenInQuery,
      'tokens are not accepted in the query string; use Authorization: Bearer or a subprotocol',
      'token_in_query',
    );
  }
  const token = upgradeToken(request.headers);
  if (!token) {
    return refuse(401, Code.tokenMissing, 'Authorization: Bearer <token> (or the token as a second subprotocol) required', 'missing');
  }
  let principal: Principal;
  try {
    principal = await verifier.verify(token);
  } catch (err) {
    const code = err instanceof SightlineError ? err.code : Code.tokenInvalid;
    if (code === Code.tokenExpired) return refuse(401, code, 'token expired', 'expired');
    if (code === Code.tokenRevoked) return refuse(401, code, 'token revoked: log in again', 'revoked');
    if (code === Code.authKeysUnavailable || isKeyFetchFailure(err)) {
      // Our problem, not the client's: 503 so agents retry instead of giving up on a good token.
      return refuse(503, Code.authKeysUnavailable, 'cannot verify tokens right now; retry shortly', 'keys_unavailable');
    }
    return refuse(401, Code.tokenInvalid, 'token invalid', 'invalid');
  }
  if (!hasAnyRole(principal, allowedRoles)) {
    return refuse(403, Code.forbidden, `requires one of the roles: ${allowedRoles.join(', ')}`, 'forbidden');
  }
  return { principal };
}

/**
 * TokenVerifier reports an unreachable JWKS endpoint (fetch failed: refused, DNS, reset) as TOKEN_INVALID with the
 * network error as cause. Token problems come from jose, whose errors carry `ERR_J…` codes; anything else is the key
 * fetch failing.
 */
function isKeyFetchFailure(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return cause !== undefined && !(typeof cause.code === 'string' && cause.code.startsWith('ERR_J'));
}

export function refuse(
  status: UpgradeRefusal['status'],
  code: Code,
  message: string,
  authFailure?: AuthFailureReason,
): { refusal: UpgradeRefusal } {
  return { refusal: { status, code, message, authFailure } };
}

/** Answers the upgrade with a plain HTTP error and closes the socket; no WebSocket is ever opened. */
export function writeRefusal(socket: Duplex, refusal: UpgradeRefusal): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ code: refusal.code, message: refusal.message });
  const extra =
    refusal.status === 401
      ? 'WWW-Authenticate: Bearer realm="sightline"\r\n'
      : refusal.status === 503 || refusal.status === 429
        ? 'Retry-After: 5\r\n'
        : '';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      extra +
      '\r\n' +
      body,
  );
}
