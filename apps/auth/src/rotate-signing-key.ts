/**
 * `node dist/rotate-signing-key.js prepare|promote|retire [--force]`: one step of a signing-key rotation with overlap
 * on AUTH_SIGNING_KEY_FILE (docs/operations.md); restart auth after each step. `retire` waits until tokens signed with
 * the previous key have expired (AUTH_ACCESS_TOKEN_TTL_SECONDS after the promotion) unless --force (after a compromise).
 */
import { createLogger } from '@sightline/observability';
import { IdentityErrorCode, rotateSigningKey, type RotationStep } from '@sightline/identity';
import { loadAuthConfig } from './config.js';

const logger = createLogger('auth-key-rotation');
const step = process.argv[2] as RotationStep;
try {
  if (!['prepare', 'promote', 'retire'].includes(step)) throw new Error('usage: rotate-signing-key.js prepare|promote|retire [--force]');
  const config = loadAuthConfig();
  if (!config.AUTH_SIGNING_KEY_FILE) throw new Error('AUTH_SIGNING_KEY_FILE is not set: there is no key file to rotate');
  const minAge = process.argv.includes('--force') ? 0 : config.AUTH_ACCESS_TOKEN_TTL_SECONDS + 60;
  const keys = await rotateSigningKey(config.AUTH_SIGNING_KEY_FILE, step, minAge);
  logger.info(`signing key rotation: ${step} done; restart auth (every replica) now`, keys);
} catch (err) {
  const e = err as Error & { code?: string };
  logger.error('signing key rotation refused', { code: e.code ?? IdentityErrorCode.keyRotationRefused, error: e.message });
  process.exitCode = 1;
}
