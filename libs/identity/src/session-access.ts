/**
 * Who may see which sessions' data. Operators and admins see every session by role; anyone else (a signed-up agent
 * included) sees only the sessions an admin granted them in `session_grants` (`*` = every session). The grants travel
 * in the access token's `sessions` claim, which every service enforces; taking a grant away revokes the user's tokens
 * (and, through the revocation feed, closes their sockets), so the narrower claim applies at the next login.
 *
 * The revocation feed publishes token_revocations to the other services: they poll it and refuse tokens issued before
 * a user's cutoff.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  ALL_SESSIONS,
  isOperating,
  MAX_SESSION_GRANTS,
  sessionIdSchema,
  SightlineError,
  type RevocationFeed,
  type SessionGrants,
  type SessionScope,
} from '@sightline/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { TokenRevocations } from './token-revocations.js';
import { IdentityErrorCode } from './errors.js';

/** Longest token lifetime the service allows (AUTH_ACCESS_TOKEN_TTL_SECONDS ≤ 86400) plus clock tolerance. */
const FEED_WINDOW_SECONDS = 86_400 + 60;

export const grantTargetSchema = z.union([z.literal(ALL_SESSIONS), sessionIdSchema]);

@Injectable()
export class SessionAccess {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TokenRevocations) private readonly revocations: TokenRevocations,
  ) {}

  /** The `sessions` claim for a token of this user. */
  async scopeFor(userId: number, roles: readonly string[]): Promise<SessionScope> {
    if (isOperating({ roles: [...roles] })) return ALL_SESSIONS;
    const sessions = await this.granted(this.db.manager, userId);
    return sessions.includes(ALL_SESSIONS) ? ALL_SESSIONS : sessions;
  }

  async list(userId: number): Promise<SessionGrants> {
    await this.assertUser(this.db.manager, userId);
    return { userId, sessions: await this.granted(this.db.manager, userId) };
  }

  /** Idempotent. Takes effect at the user's next login. */
  async grant(userId: number, sessionId: string): Promise<SessionGrants> {
    return this.db.transaction(async (tx) => {
      await this.assertUser(tx, userId, true);
      const current = await this.granted(tx, userId);
      if (!current.includes(sessionId) && sessionId !== ALL_SESSIONS && current.length >= MAX_SESSION_GRANTS) {
        throw new SightlineError(
          IdentityErrorCode.tooManyGrants,
          `at most ${MAX_SESSION_GRANTS} session grants per user; grant "*" instead`,
          {
            userId,
          },
        );
      }
      await tx.query('INSERT INTO session_grants (user_id, session_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, sessionId]);
      return { userId, sessions: await this.granted(tx, userId) };
    });
  }

  /** Idempotent. Removing a grant the user had revokes their tokens: everywhere within seconds, sockets included. */
  async revoke(userId: number, sessionId: string): Promise<SessionGrants> {
    const { result, cutoff } = await this.db.transaction(async (tx) => {
      await this.assertUser(tx, userId, true);
      // TypeORM answers a raw DELETE with [rows, deleted count].
      const [, deleted]: [unknown[], number] = await tx.query('DELETE FROM session_grants WHERE user_id = $1 AND session_id = $2', [
        userId,
        sessionId,
      ]);
      const cutoff = deleted > 0 ? await this.revocations.revoke(tx, [userId]) : undefined;
      return { result: { userId, sessions: await this.granted(tx, userId) }, cutoff };
    });
    await this.revocations.settle(cutoff);
    return result;
  }

  /** Revocations that may still matter: a token issued before an older cutoff has expired anyway. */
  async feed(): Promise<RevocationFeed> {
    const rows: { user_id: number; revoked_before: Date }[] = await this.db.query(
      `SELECT user_id, revoked_before FROM token_revocations WHERE revoked_before > now() - make_interval(secs => $1) ORDER BY user_id`,
      [FEED_WINDOW_SECONDS],
    );
    return { revocations: rows.map((r) => ({ userId: String(r.user_id), revokedBefore: r.revoked_before.toISOString() })) };
  }

  private async granted(tx: EntityManager, userId: number): Promise<string[]> {
    const rows: { session_id: string }[] = await tx.query('SELECT session_id FROM session_grants WHERE user_id = $1 ORDER BY session_id', [
      userId,
    ]);
    return rows.map((r) => r.session_id);
  }

  private async assertUser(tx: EntityManager, userId: number, lock = false): Promise<void> {
    const rows: unknown[] = await tx.query(`SELECT 1 FROM users WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [userId]);
    if (!rows.length) throw new SightlineError(IdentityErrorCode.userNotFound, 'user not found', { userId });
  }
}
