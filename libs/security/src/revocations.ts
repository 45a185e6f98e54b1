/**
 * Revoked tokens, known to every verifying service within seconds: the auth service publishes, per user, "tokens
 * issued before T are revoked" (password reset or change, role or session grant taken away, user deleted) at
 * `GET /token-revocations`; each verifier polls it and refuses matching tokens. The gateway also listens for changes
 * to close the sockets such tokens opened.
 *
 * Polling a state (the whole current list) rather than listening to a stream of events: a missed poll is repaired by
 * the next one, and a verifier that starts late knows every revocation at once. When the endpoint cannot be reached
 * the last good list stays in force.
 */
import { REVOCATIONS_PATH, SightlineError, revocationFeedSchema, type Principal, type RevocationFeed } from '@sightline/contracts';
import { SecurityErrorCode } from './errors.js';

export interface RevocationListOptions {
  /** The auth service's feed, e.g. `http://auth:3001/token-revocations`. */
  url: string;
  /** Poll period; the bound on how long a revoked token keeps working anywhere. */
  intervalMs?: number;
  /** Called when polls start failing (with the error; the previous list stays in force) and when they recover. */
  onHealthChange?: (error: Error | undefined) => void;
}

export const DEFAULT_REVOCATION_POLL_MS = 2000;
const FETCH_TIMEOUT_MS = 5000;

export class RevocationList {
  /** userId → epoch ms before which its tokens are revoked. */
  private revokedBefore = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = false;
  private failing = false;

  constructor(private readonly options: RevocationListOptions) {}

  /** The feed next to a JWKS URL (same origin). */
  static besideJwks(jwksUrl: string, options: Omit<RevocationListOptions, 'url'> = {}): RevocationList {
    return new RevocationList({ ...options, url: new URL(REVOCATIONS_PATH, jwksUrl).toString() });
  }

  isRevoked(principal: Pick<Principal, 'userId' | 'issuedAt'>): boolean {
    const before = this.revokedBefore.get(principal.userId);
    return before !== undefined && principal.issuedAt * 1000 < before;
  }

  /** Listens for a list that revokes something it did not before; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** First poll now, then every interval. Idempotent. */
  start(): void {
    if (this.timer || this.stopped) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? DEFAULT_REVOCATION_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One fetch of the feed; concurrent callers share it. Resolves whether or not it succeeded. */
  poll(): Promise<void> {
    this.polling ??= this.fetchOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async fetchOnce(): Promise<void> {
    try {
      const response = await fetch(this.options.url, {
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        headers: { accept: 'application/json' },
      });
      if (!response.ok)
        throw new SightlineError(SecurityErrorCode.revocationsUnavailable, `token revocation feed answered ${response.status}`);
      const feed = revocationFeedSchema.parse(await response.json());
      this.replace(feed);
      if (this.failing) this.options.onHealthChange?.(undefined);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.options.onHealthChange?.(err as Error);
      this.failing = true;
    }
  }

  private replace(feed: RevocationFeed): void {
    const next = new Map(feed.revocations.map((r) => [r.userId, Date.parse(r.revokedBefore)] as const));
    const tightened = [...next].some(([userId, before]) => (this.revokedBefore.get(userId) ?? -Infinity) < before);
    this.revokedBefore = next;
    if (tightened) for (const listener of this.listeners) listener();
  }
}
