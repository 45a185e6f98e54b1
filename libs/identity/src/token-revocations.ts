/**
 * Per-user "tokens issued before T are revoked" (table token_revocations), set when a password is reset or changed
 * and when a role is taken away. The auth service checks it on every authenticated request; the other services
 * verify tokens statelessly and rely on the short access-token TTL instead (docs/auth.md: the trade-off).
 *
 * `iat` has whole-second precision, so the cutoff is the next whole second, and the change waits until that second
 * has begun before it answers: tokens issued before the change are refused, tokens issued after it are accepted.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export type TokenState = 'active' | 'revoked' | 'unknown_user';

@Injectable()
export class TokenRevocations {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  /** Revokes the users' tokens issued up to now, inside the caller's transaction; returns the cutoff to `settle`. */
  async revoke(tx: EntityManager, userIds: number[], now = Date.now()): Promise<Date | undefined> {
    if (!userIds.length) return undefined;
    const cutoff = new Date((Math.floor(now / 1000) + 1) * 1000);
    await tx.query(
      `INSERT INTO token_revocations (user_id, revoked_before) SELECT unnest($1::int[]), $2
       ON CONFLICT (user_id) DO UPDATE SET revoked_before = GREATEST(token_revocations.revoked_before, EXCLUDED.revoked_before)`,
      [userIds, cutoff],
    );
    return cutoff;
  }

  /** Resolves once the cutoff has passed (at most a second), so a login right after the change gets a valid token. */
  async settle(cutoff: Date | undefined): Promise<void> {
    const wait = cutoff ? cutoff.getTime() - Date.now() : 0;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  async check(userId: number, issuedAtSeconds: number): Promise<TokenState> {
    const rows: { revoked_before: Date | null }[] = await this.db.query(
      `SELECT r.revoked_before FROM users u LEFT JOIN token_revocations r ON r.user_id = u.id WHERE u.id = $1`,
      [userId],
    );
    if (!rows.length) return 'unknown_user';
    const revokedBefore = rows[0]!.revoked_before;
    return revokedBefore && issuedAtSeconds * 1000 < revokedBefore.getTime() ? 'revoked' : 'active';
  }
}
