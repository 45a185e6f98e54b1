/**
 * A stand-in for the auth service's two public documents, for services' tests that verify tokens: the signer's
 * keys at JWKS_PATH and a revocation feed at REVOCATIONS_PATH (push `{userId, revokedBefore}` to `revocations`).
 */
import { JWKS_PATH, REVOCATIONS_PATH, type RevocationFeed } from '@sightline/contracts';
import { freePort } from '@sightline/local-infra';
import { createServer } from 'node:http';
import { type TokenSigner } from '../src/index.js';

export interface AuthStub {
  /** The value for AUTH_JWKS_URL; the revocation feed is beside it. */
  readonly jwksUrl: string;
  /** What the feed serves, read at each request. */
  readonly revocations: RevocationFeed['revocations'];
  close(): Promise<void>;
}

export async function startAuthStub(signer: TokenSigner): Promise<AuthStub> {
  const revocations: RevocationFeed['revocations'] = [];
  const server = createServer((req, res) => {
    const body = req.url === JWKS_PATH ? signer.jwks() : req.url === REVOCATIONS_PATH ? { revocations } : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    jwksUrl: `http://127.0.0.1:${port}${JWKS_PATH}`,
    revocations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
