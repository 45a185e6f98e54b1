/**
 * Pending e-mail verifications (table email_verification_tokens): a row while a signup is unconfirmed. Queries take
 * an EntityManager so callers compose them into their own transactions.
 */
import { type EntityManager } from 'typeorm';

/** Stores the pending verification of `userId`, replacing an earlier one (its link stops working). */
export async function savePendingVerification(tx: EntityManager, userId: number, tokenHash: string, expiresAt: Date): Promise<void> {
  await tx.query(
    `INSERT INTO email_verification_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at, created_at = now()`,
    [userId, tokenHash, expiresAt],
  );
}

/**
 * Uses a verification token once: deletes its unexpired row and returns the user id, or undefined. The delete is the
 * single-use check (of two concurrent uses only one gets the row).
 */
export async function consumeVerification(tx: EntityManager, tokenHash: string): Promise<number | undefined> {
  const rows: { user_id: number }[] = await tx.query(
    'WITH used AS (DELETE FROM email_verification_tokens WHERE token_hash = $1 AND expires_at > now() RETURNING user_id) SELECT user_id FROM used',
    [tokenHash],
  );
  return rows[0]?.user_id;
}

/** Whether `userId` has an unconfirmed signup (such an account may not log in). */
export async function awaitsVerification(tx: EntityManager, userId: number): Promise<boolean> {
  const rows: unknown[] = await tx.query('SELECT 1 FROM email_verification_tokens WHERE user_id = $1', [userId]);
  return rows.length > 0;
}

/** Ends a pending verification without its token (the address was proven otherwise, e.g. by a password reset). */
export async function clearPendingVerification(tx: EntityManager, userId: number): Promise<void> {
  await tx.query('DELETE FROM email_verification_tokens WHERE user_id = $1', [userId]);
}
