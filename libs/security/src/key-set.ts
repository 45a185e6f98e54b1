/**
 * The auth service's published keys, as a jose key resolver that keeps the last good key set when a refresh fails.
 * jose's remote key set drops its keys once they are older than its cache age and then fails every verification
 * while the auth service is unreachable: a short auth outage became a fleet-wide authentication outage. Here the keys
 * are refreshed after `cacheMaxAgeMs` (or on a token signed by an unknown `kid`, at most once per `cooldownMs`), and
 * a failed refresh keeps the previous keys. Only before the first successful fetch are verifications refused.
 */
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { SecurityWarningCode } from './errors.js';

export interface RemoteKeySetOptions {
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
  timeoutMs?: number;
  /** Told about each failed refresh (the verifier keeps using the previous keys). */
  onRefreshFailed?: (error: Error) => void;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export class RemoteKeySet {
  private keys?: LocalKeySet;
  private fetchedAt = 0;
  private attemptedAt = 0;
  private refreshing?: Promise<void>;

  constructor(
    private readonly url: URL,
    private readonly options: RemoteKeySetOptions = {},
  ) {}

  /** The resolver to hand to jose's `jwtVerify`. */
  readonly resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const maxAge = this.options.cacheMaxAgeMs ?? 600_000;
    if (!this.keys || Date.now() - this.fetchedAt > maxAge) await this.refresh(!this.keys);
    try {
      return await this.keys!(header, token);
    } catch (err) {
      // A key we have not seen (rotation): fetch again, unless we just did.
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.attemptedAt < (this.options.cooldownMs ?? 30_000)) throw err;
      await this.refresh(false);
      return this.keys!(header, token);
    }
  };

  /** Fetches the key set; a failure is thrown only when there are no previous keys to keep. */
  private async refresh(mustSucceed: boolean): Promise<void> {
    this.refreshing ??= this.fetchKeys().finally(() => (this.refreshing = undefined));
    try {
      await this.refreshing;
    } catch (err) {
      if (mustSucceed || !this.keys) throw err;
      (this.options.onRefreshFailed ?? warnStale)(err as Error);
    }
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = Date.now();
    let body: unknown;
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000), redirect: 'error' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (err) {
      throw new joseErrors.JWKSInvalid(`cannot fetch the key set: ${(err as Error).message}`);
    }
    const keySet = body as JSONWebKeySet;
    if (!keySet || !Array.isArray(keySet.keys)) throw new joseErrors.JWKSInvalid('the key set has no keys array');
    this.keys = createLocalJWKSet(keySet);
    this.fetchedAt = Date.now();
  }
}

function warnStale(error: Error): void {
  process.stderr.write(
    JSON.stringify({
      level: 'warn',
      message: 'auth keys refresh failed; verifying with the last good keys',
      code: SecurityWarningCode.authKeysStale,
      error: error.message,
    }) + '\n',
  );
}
