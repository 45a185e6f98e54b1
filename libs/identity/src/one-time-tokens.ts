/**
 * Mailed single-use tokens (password reset, e-mail verification): 256 random bits, base64url in the mail; only the
 * SHA-256 is stored, so a database reader cannot use a pending token.
 */
import { createHash, randomBytes } from 'node:crypto';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashToken(token) };
}
